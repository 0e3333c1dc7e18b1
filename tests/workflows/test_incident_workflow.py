"""The incident workflow alone, with stand-in activities (tests/support/incident_world.py): no database.

In the style of Temporal's samples: each stand-in is an `@activity.defn` under the real activity's name,
so the workflow runs unchanged and the test controls what the outside world answers.
"""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from tests.support.helpers import record_history
from tests.support.incident_world import StandIns, firing_alert, running_incident
from workflows.incident.workflow import IncidentWorkflow
from workflows.types import AddAlerts, IncidentStatus, ResolveIncident


async def test_two_alerts_for_one_key_make_one_incident_counting_both(
    skipping_env: WorkflowEnvironment,
) -> None:
    async with running_incident(skipping_env.client, StandIns(), firing_alert()) as handle:
        await handle.execute_update(IncidentWorkflow.add_alerts, AddAlerts(alerts=[firing_alert()]))
        state = await handle.query(IncidentWorkflow.current_state)
        while state.alert_count < 2:
            await asyncio.sleep(0.05)
            state = await handle.query(IncidentWorkflow.current_state)
        assert state.alert_count == 2 and state.status == IncidentStatus.new
        await handle.terminate()


async def test_alert_and_resolve_arriving_while_an_incident_finds_itself_void_are_not_lost(
    temporal_client: Client,
) -> None:
    """On the dev server, in real time: the time-skipping server would skip past a local activity that
    the test holds open.

    The incident's only alert already belonged to another incident (a redelivery after a crash), so it
    turns void and ends. An alert signalled, and a resolve sent, while it was finding that out must not
    be lost. Temporal refuses to complete a run over an unhandled signal, so the task is retried and the
    alert may join this very incident; if the incident still ends void, the alert is forwarded. Either
    way it is counted exactly once, and the resolve gets an answer rather than an abandoned call."""
    world = StandIns()
    first, late = firing_alert(), firing_alert()
    world.already_elsewhere.add(first.id)
    world.release_recording.clear()
    async with running_incident(temporal_client, world, first) as handle:
        await asyncio.wait_for(world.recording.wait(), timeout=10)
        await handle.signal(IncidentWorkflow.alerts_arrived, AddAlerts(alerts=[late]))
        resolving = asyncio.create_task(
            handle.execute_update(IncidentWorkflow.resolve, ResolveIncident(user_id="us-1"))
        )
        await asyncio.sleep(0.5)  # let the server admit the update before the recording answers
        world.release_recording.set()

        final = await asyncio.wait_for(handle.result(), timeout=20)
        forwarded = [a.id for a in world.forwarded]
        assert final.alert_count + len(forwarded) == 1, "the late alert is counted here or forwarded, once"
        if final.status == IncidentStatus.void:
            assert forwarded == [late.id]
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await asyncio.wait_for(resolving, timeout=10)
            assert "incident is void" in str(refused.value.cause)
        else:
            assert final.recent_alert_ids == [late.id] and forwarded == []
            resolved = await asyncio.wait_for(resolving, timeout=10)
            assert resolved.status == IncidentStatus.resolved and resolved.resolved_by == "us-1"
        await record_history(handle, "incident_void_window")
