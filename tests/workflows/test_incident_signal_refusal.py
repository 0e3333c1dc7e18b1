"""The signal fast path obeys the incident's refusal: alerts it no longer takes are forwarded, not counted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.support.incident_world import StandIns, deciding, firing_alert, plan, running_incident, until
from workflows.incident.workflow import IncidentWorkflow
from workflows.remediation.types import DecisionAction
from workflows.types import AddAlerts, IncidentStatus, ResolveIncident


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


async def test_alert_signalled_to_a_resolved_incident_still_finishing_is_forwarded_and_not_counted(
    temporal_client: Client,
) -> None:
    """A technician resolves while a runbook step runs, so the incident stays alive, finishing, until the
    run reports. A sender whose cache still names it signals an alert meanwhile: the resolved incident
    refuses it, and it is forwarded (to the incident that takes it) before the run ends. On the dev
    server: the time-skipping server would skip past the step the test holds open."""
    world = StandIns(outcome=deciding(DecisionAction.EXECUTE_RUNBOOK, plan()))
    world.release_steps.clear()
    first = firing_alert()
    async with running_incident(temporal_client, world, first) as handle:
        await asyncio.wait_for(world.stepping.wait(), timeout=10)
        resolved = await handle.execute_update(IncidentWorkflow.resolve, ResolveIncident(user_id="us-1"))
        assert resolved.status == IncidentStatus.resolved

        # The update answered once the main loop had gone on to finish: it now waits for the run.
        late = firing_alert()  # within the window: only the resolution refuses it
        await handle.signal(IncidentWorkflow.alerts_arrived, AddAlerts(alerts=[late]))
        await until(handle, lambda s: len(s.recent_alert_ids) == 1 and s.status == IncidentStatus.resolved)
        world.release_steps.set()

        final = await asyncio.wait_for(handle.result(), timeout=20)
    assert [a.id for a in world.forwarded] == [late.id]
    assert late.id not in world.recorded and final.alert_count == 1
    assert final.recent_alert_ids == [first.id]
