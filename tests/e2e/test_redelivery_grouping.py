"""A backlog does not change how alerts group: redelivered alerts keep the time we received them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.helpers import store_alerts
from tests.support.redelivery import start_redelivery
from tests.support.stack import Stack, alert_body, eventually


async def test_alert_redelivered_hours_late_counts_at_its_received_time_so_a_new_alert_opens_a_new_incident(
    stack: Stack,
) -> None:
    acme = await stack.company()
    received = datetime.now(UTC) - timedelta(hours=2)
    # Stored two hours ago and never routed (the API died before handing it to Temporal).
    await store_alerts(stack.services, acme.id, 1, received_at=received)

    await start_redelivery(stack)
    [late] = await eventually(lambda: stack.incidents(acme.id), lambda rows: len(rows) == 1)
    assert late.last_alert_at is not None
    assert abs(late.last_alert_at - received) < timedelta(seconds=1)

    # Two hours is far beyond the 15-minute correlation window: today's alert is a new incident.
    now = await stack.post_alert(acme, alert_body())
    assert await stack.incident_of(now) != late.id
    incidents = await eventually(lambda: stack.incidents(acme.id), lambda rows: len(rows) == 2)
    assert sorted(i.alert_count for i in incidents) == [1, 1]
