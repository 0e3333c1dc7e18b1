"""A repeated delivery id is answered from what was stored: never routed again, and remembered for 24 h
even across redelivery runs."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import EventType

from tests.support.helpers import store_alerts
from tests.support.redelivery import start_redelivery
from tests.support.stack import Stack, accepted, alert_body, eventually

MESSAGE_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
}


async def test_repeated_delivery_answers_as_the_first_and_sends_the_incident_nothing(stack: Stack) -> None:
    acme = await stack.company()
    delivery_id = str(uuid.uuid4())
    first = await stack.post_alert(acme, alert_body(), delivery_id=delivery_id)
    original = accepted(first)
    assert original["correlated"] is False
    incident_id = await stack.incident_of(first)

    retry = await eventually(
        lambda: stack.post_alert(acme, alert_body(), delivery_id=delivery_id),
        lambda r: r.json().get("incident_id") is not None,
    )
    assert retry.status_code == 200
    # The first delivery's answer once routed (it may have been a 202 `queued`), but for `duplicate`;
    # a routed retry would say "correlated".
    assert retry.json() == {**original, "incident_id": incident_id, "queued": False, "duplicate": True}

    await asyncio.sleep(1)  # time for a wrongly routed retry to reach the incident
    history = await stack.client.get_workflow_handle(incident_id).fetch_history()
    messages = [e for e in history.events if e.event_type in MESSAGE_EVENTS]
    assert messages == [], "the incident started with the first delivery and was sent nothing since"
    incidents = await stack.incidents(acme.id)
    assert [i.alert_count for i in incidents] == [1]
    assert await stack.count_rows("alert", acme.id) == 1


async def test_redelivery_run_purges_only_delivery_ids_older_than_the_retention(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    delivery_id = str(uuid.uuid4())
    first = await stack.post_alert(acme, alert_body(), delivery_id=delivery_id)
    accepted(first)
    # A delivery received 25 hours ago: past the 24 h the sender may retry within.
    await store_alerts(stack.services, globex.id, 1, received_at=datetime.now(UTC) - timedelta(hours=25))
    assert await stack.count_rows("webhook_delivery", globex.id) == 1

    await start_redelivery(stack, retention_hours=24)

    await eventually(lambda: stack.count_rows("webhook_delivery", globex.id), lambda n: n == 0)
    assert await stack.count_rows("webhook_delivery", acme.id) == 1
    retry = await stack.post_alert(acme, alert_body(), delivery_id=delivery_id)
    assert accepted(retry)["duplicate"] is True
    assert retry.json()["alert_id"] == first.json()["alert_id"]
    assert await stack.count_rows("alert", acme.id) == 1
