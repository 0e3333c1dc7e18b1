from tests.support.stack import Stack, alert_body, eventually


async def test_alert_opens_incident_visible_in_database(stack: Stack) -> None:
    acme = await stack.company()
    response = await stack.post_alert(acme, alert_body())
    answer = await stack.settled(response)
    assert answer["incident_id"] and answer["duplicate"] is False and answer["correlated"] is False
    incidents = await eventually(lambda: stack.incidents(acme.id), lambda rows: len(rows) == 1)
    assert incidents[0].id == answer["incident_id"]
    assert incidents[0].alert_count == 1
