"""SLA clocks, escalation and assignment inside the incident workflow, with stand-in activities
(tests/support/incident_world.py) on the time-skipping server: minutes and hours pass in milliseconds."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.testing import WorkflowEnvironment

from tests.support.helpers import record_history
from tests.support.incident_world import StandIns, firing_alert, running_incident, until
from workflows.assignment.types import EscalationStep
from workflows.incident.workflow import IncidentWorkflow
from workflows.notifications.types import NotificationKind
from workflows.types import (
    Acknowledge,
    CorrelationPolicy,
    IncidentInput,
    IncidentStatus,
    PauseSla,
    ReopenIncident,
    ResolveIncident,
    Severity,
    SlaTarget,
)

POLICY = CorrelationPolicy(
    sla_overrides={Severity.high: SlaTarget(response_seconds=100, resolution_seconds=1000)}
)
CHAIN = [
    EscalationStep(level=1, notify_user_ids=["us-l1"], wait_minutes=5, last_level=False),
    EscalationStep(level=2, notify_user_ids=["us-l2"], wait_minutes=10, reassign_to="us-l2", last_level=True),
]


def sent(world: StandIns, kind: NotificationKind) -> list[str]:
    return [n.notification_key.split(":", 1)[1] for n in world.notified if n.kind == kind]


async def test_a_response_sla_warns_at_50_75_90_breaches_and_climbs_the_chain_until_acknowledged(
    skipping_env: WorkflowEnvironment,
) -> None:
    world = StandIns(on_call=["us-oncall"], chain=CHAIN)
    async with running_incident(skipping_env.client, world, firing_alert(), policy=POLICY) as handle:
        state = await until(handle, lambda s: s.sla is not None)
        assert state.assigned_to == "us-oncall" and sent(world, NotificationKind.assignment) == [
            "assignment:1"
        ]
        assert state.sla is not None and state.sla.response is not None
        assert state.sla.response.deadline is not None

        await skipping_env.sleep(101)
        state = await until(handle, lambda s: s.escalation_level == 1)
        assert state.status == IncidentStatus.escalated and state.sla and state.sla.response
        assert state.sla.response.breached and state.sla.response.warned == [50, 75, 90]
        assert sent(world, NotificationKind.sla_warning) == [
            "sla:response:50",
            "sla:response:75",
            "sla:response:90",
        ]
        assert sent(world, NotificationKind.sla_breached) == ["sla:response:breached"]
        # The chain's level, and the assignee it left the incident with.
        assert [n.user_ids for n in world.notified if n.kind == NotificationKind.escalation] == [
            ["us-l1", "us-oncall"]
        ]

        await skipping_env.sleep(5 * 60 + 1)  # nobody acknowledged at level 1
        state = await until(handle, lambda s: s.escalation_level == 2)
        assert state.assigned_to == "us-l2" and state.next_escalation_at is None  # the last level

        acknowledged = await handle.execute_update(IncidentWorkflow.acknowledge, Acknowledge(user_id="us-l2"))
        assert acknowledged.acknowledged_by == "us-l2" and acknowledged.sla and acknowledged.sla.response
        assert acknowledged.sla.response.met_at is not None
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(IncidentWorkflow.acknowledge, Acknowledge(user_id="us-l2"))
        await record_history(handle, "incident_sla_breached_and_escalated")  # before the assignee was told
        await record_history(handle, "incident_escalation_tells_the_assignee")
        await handle.terminate()
    # Each notification once, whatever the retries: keys are unique.
    keys = [n.notification_key for n in world.notified]
    assert len(keys) == len(set(keys))


async def test_acknowledging_in_time_stops_the_response_clock_and_nothing_escalates(
    skipping_env: WorkflowEnvironment,
) -> None:
    world = StandIns(chain=CHAIN)
    async with running_incident(skipping_env.client, world, firing_alert(), policy=POLICY) as handle:
        await until(handle, lambda s: s.sla is not None)
        await handle.execute_update(IncidentWorkflow.acknowledge, Acknowledge(user_id="us-tech"))
        await skipping_env.sleep(400)  # past the response target, within the resolution one
        state = await handle.query(IncidentWorkflow.current_state)
        await handle.terminate()
    assert state.status == IncidentStatus.in_progress and state.escalation_level == 0
    assert state.sla and state.sla.response and not state.sla.response.breached
    assert state.sla.resolution and state.sla.resolution.warned == []  # 400 s of 1000 s: under 50 %
    assert world.notified == []


async def test_a_paused_clock_uses_no_time_and_resumes_where_it_stopped(
    skipping_env: WorkflowEnvironment,
) -> None:
    world = StandIns(chain=CHAIN)
    async with running_incident(skipping_env.client, world, firing_alert(), policy=POLICY) as handle:
        before = await until(handle, lambda s: s.sla is not None)
        assert before.sla and before.sla.response and before.sla.response.deadline
        paused = await handle.execute_update(
            IncidentWorkflow.pause_sla, PauseSla(user_id="us-tech", reason="waiting on the customer")
        )
        assert (
            paused.sla and paused.sla.paused and paused.sla.response and paused.sla.response.deadline is None
        )
        await skipping_env.sleep(3600)
        state = await handle.query(IncidentWorkflow.current_state)
        assert state.escalation_level == 0 and world.notified == []
        resumed = await handle.execute_update(IncidentWorkflow.resume_sla, PauseSla(user_id="us-tech"))
        await handle.terminate()
    assert resumed.sla and resumed.sla.response and resumed.sla.response.deadline
    moved = resumed.sla.response.deadline - before.sla.response.deadline
    assert moved.total_seconds() >= 3600


async def test_a_reopened_incident_warns_again_under_keys_of_its_own_round(
    skipping_env: WorkflowEnvironment,
) -> None:
    """The notifier sends a key once: a reopened incident's new resolution clock must not reuse the first
    round's keys, or its warnings (and its escalation from level 1 again) would never go out."""
    world = StandIns(on_call=["us-oncall"], chain=CHAIN)
    client = skipping_env.client
    async with running_incident(client, world, firing_alert(), policy=POLICY) as handle:
        await until(handle, lambda s: s.sla is not None)
        await handle.execute_update(IncidentWorkflow.acknowledge, Acknowledge(user_id="us-oncall"))
        await skipping_env.sleep(600)  # past half of the 1000 s resolution target
        await until(handle, lambda s: bool(s.sla and s.sla.resolution and s.sla.resolution.warned))
        await handle.execute_update(IncidentWorkflow.resolve, ResolveIncident(user_id="us-oncall"))
        final = await handle.result()

        reopened = await client.start_workflow(
            IncidentWorkflow.run,
            IncidentInput(carried=final, reopen=ReopenIncident(user_id="us-oncall", reason="it is back")),
            id=handle.id,
            task_queue=(await handle.describe()).task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
        state = await until(reopened, lambda s: s.status == IncidentStatus.in_progress)
        assert state.reopened == 1
        await skipping_env.sleep(600)
        await until(reopened, lambda s: bool(s.sla and s.sla.resolution and s.sla.resolution.warned))
        await record_history(reopened, "incident_reopened_notices_per_round")
        await reopened.terminate()
    assert sent(world, NotificationKind.sla_warning) == ["sla:resolution:50", "reopen-1:sla:resolution:50"]
    keys = [n.notification_key for n in world.notified]
    assert len(keys) == len(set(keys))
