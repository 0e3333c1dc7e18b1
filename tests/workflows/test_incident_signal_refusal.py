"""The signal fast path obeys the incident's refusal: alerts it no longer takes are forwarded, not counted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from temporalio.testing import WorkflowEnvironment

from tests.support.incident_world import StandIns, firing_alert, running_incident
from workflows.incident.workflow import IncidentWorkflow
from workflows.types import AddAlerts


async def test_signalled_alert_past_the_correlation_window_is_forwarded_and_not_counted(
    skipping_env: WorkflowEnvironment,
) -> None:
    world = StandIns()
    first = firing_alert(datetime.now(UTC))
    async with running_incident(skipping_env.client, world, first) as handle:
        while first.id not in world.recorded:
            await asyncio.sleep(0.05)
        # A sender with a stale view signals an alert received 30 min after the last (the window is 15).
        late = firing_alert(first.received_at + timedelta(minutes=30))
        await handle.signal(IncidentWorkflow.alerts_arrived, AddAlerts(alerts=[late]))

        for _ in range(200):
            if world.forwarded or late.id in world.recorded:
                break
            await asyncio.sleep(0.05)
        state = await handle.query(IncidentWorkflow.current_state)
        assert [a.id for a in world.forwarded] == [late.id]
        assert late.id not in world.recorded
        assert state.alert_count == 1 and late.id not in state.recent_alert_ids
        await handle.terminate()


async def test_signalled_alert_within_the_correlation_window_joins_the_incident(
    skipping_env: WorkflowEnvironment,
) -> None:
    world = StandIns()
    first = firing_alert(datetime.now(UTC))
    async with running_incident(skipping_env.client, world, first) as handle:
        soon = firing_alert(first.received_at + timedelta(minutes=5))
        await handle.signal(IncidentWorkflow.alerts_arrived, AddAlerts(alerts=[soon]))
        for _ in range(200):
            if soon.id in world.recorded:
                break
            await asyncio.sleep(0.05)
        state = await handle.query(IncidentWorkflow.current_state)
        assert state.alert_count == 2 and world.forwarded == []
        await handle.terminate()
