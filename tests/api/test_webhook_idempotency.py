"""A delivery id is accepted once per company: retries answer what the first delivery got."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from temporalio.client import Client

from core.settings import Settings
from tests.support.stack import Stack, accepted, alert_body, eventually, make_stack


def answered_as_documented(response: httpx.Response) -> bool:
    """A row of the README's table: 200 with its incident, or 202 queued without one."""
    answer = response.json()
    if answer["incident_id"]:
        return response.status_code == 200 and answer["queued"] is False
    return response.status_code == 202 and answer["queued"] is True


async def test_same_delivery_id_twice_answers_duplicate_with_the_same_alert_and_incident(
    stack: Stack,
) -> None:
    acme = await stack.company()
    delivery_id = str(uuid.uuid4())
    first = await stack.post_alert(acme, alert_body(), delivery_id=delivery_id)
    original = accepted(first)
    assert original["duplicate"] is False
    incident_id = await stack.incident_of(first)

    # The incident id of a stored alert is written by the workflow, so a retry learns it once recorded.
    retry = await eventually(
        lambda: stack.post_alert(acme, alert_body(), delivery_id=delivery_id),
        lambda r: r.json().get("incident_id") is not None,
    )
    assert retry.status_code == 200
    answer = retry.json()
    assert answer["duplicate"] is True
    assert answer["alert_id"] == original["alert_id"]
    assert answer["incident_id"] == incident_id
    assert await stack.count_rows("alert", acme.id) == 1
    assert await stack.count_rows("webhook_delivery", acme.id) == 1


async def test_retry_with_a_different_body_keeps_the_first_delivery(stack: Stack) -> None:
    acme = await stack.company()
    delivery_id = str(uuid.uuid4())
    first = await stack.post_alert(acme, alert_body(severity="low"), delivery_id=delivery_id)
    accepted(first)
    retry = await stack.post_alert(
        acme, alert_body(severity="critical", asset_name="other"), delivery_id=delivery_id
    )
    assert answered_as_documented(retry)
    assert retry.json()["duplicate"] is True
    assert retry.json()["alert_id"] == first.json()["alert_id"]
    alerts = await stack.alerts(acme.id)
    assert [(a.severity, a.asset_name) for a in alerts] == [("low", "db-prod-01")]


async def test_retry_of_a_known_delivery_must_still_be_signed(stack: Stack) -> None:
    acme = await stack.company()
    delivery_id = str(uuid.uuid4())
    accepted(await stack.post_alert(acme, alert_body(), delivery_id=delivery_id))
    forged = await stack.post_alert(
        acme, alert_body(), delivery_id=delivery_id, headers={"X-Signature": "sha256=" + "0" * 64}
    )
    assert forged.status_code == 401
    assert "alert_id" not in forged.json()


async def test_same_delivery_id_for_two_companies_is_two_separate_alerts(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    delivery_id = str(uuid.uuid4())
    to_acme = await stack.post_alert(acme, alert_body(), delivery_id=delivery_id)
    to_globex = await stack.post_alert(globex, alert_body(), delivery_id=delivery_id)
    assert accepted(to_acme)["duplicate"] is False and accepted(to_globex)["duplicate"] is False
    assert to_acme.json()["alert_id"] != to_globex.json()["alert_id"]
    assert await stack.incident_of(to_acme) != await stack.incident_of(to_globex)
    for company_id in (acme.id, globex.id):
        assert await stack.count_rows("alert", company_id) == 1
        assert await stack.count_rows("webhook_delivery", company_id) == 1


async def test_twenty_concurrent_posts_of_one_delivery_store_one_alert_and_answer_nineteen_duplicates(
    stack: Stack,
) -> None:
    acme = await stack.company()
    delivery_id = str(uuid.uuid4())
    responses: list[httpx.Response] = await asyncio.gather(
        *(stack.post_alert(acme, alert_body(), delivery_id=delivery_id) for _ in range(20))
    )
    # A duplicate answered before the first one's incident recorded it says so: 202, queued.
    assert all(answered_as_documented(r) for r in responses), [r.text for r in responses]
    answers = [r.json() for r in responses]
    assert sorted(a["duplicate"] for a in answers) == [False] + [True] * 19
    assert len({a["alert_id"] for a in answers}) == 1
    assert await stack.count_rows("alert", acme.id) == 1
    assert await stack.count_rows("webhook_delivery", acme.id) == 1
    incidents = await eventually(lambda: stack.incidents(acme.id), lambda rows: len(rows) == 1)
    assert incidents[0].alert_count == 1


async def test_retry_of_a_stored_alert_not_yet_in_an_incident_answers_202_queued(
    settings: Settings, temporal_client: Client
) -> None:
    """No worker runs, so the first delivery is stored but no incident records it; its retry says it is
    queued (202), not 200 with no incident, which the README's table has no row for."""
    quick = settings.model_copy(update={"webhook_answer_timeout_s": 0.5})
    stack = make_stack(quick, temporal_client, eager_start=False)
    await stack.start_api()
    try:
        acme = await stack.company()
        delivery_id = str(uuid.uuid4())
        first = await stack.post_alert(acme, alert_body(), delivery_id=delivery_id)
        assert first.status_code in (200, 202), first.text
        retry = await stack.post_alert(acme, alert_body(), delivery_id=delivery_id)
        assert retry.status_code == 202, retry.text
        answer = retry.json()
        assert answer["duplicate"] is True and answer["alert_id"] == first.json()["alert_id"]
        assert answer["incident_id"] is None and answer["queued"] is True
        assert await stack.count_rows("alert", acme.id) == 1
    finally:
        await stack.close()
