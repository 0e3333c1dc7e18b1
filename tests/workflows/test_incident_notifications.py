"""Whom the incident workflow tells, beyond SLA events: approvals asked for, runs that failed, escalations
to the assignee; and a company's switches for SLA tracking and auto-assignment. Stand-in activities
(tests/support/incident_world.py) on the time-skipping server."""

from __future__ import annotations

import asyncio

from temporalio.testing import WorkflowEnvironment

from tests.support.helpers import record_history
from tests.support.incident_world import (
    StandIns,
    answer,
    deciding,
    firing_alert,
    plan,
    running_incident,
    until,
)
from workflows.assignment.types import EscalationStep
from workflows.incident.workflow import IncidentWorkflow
from workflows.notifications.types import NotificationKind, NotifyRequest
from workflows.remediation.types import DecisionAction, RemediationStatus, RiskLevel
from workflows.types import CorrelationPolicy, EscalateIncident, IncidentStatus, Severity, SlaTarget

L1 = [EscalationStep(level=1, notify_user_ids=["us-l1"], wait_minutes=15, last_level=True)]


def of_kind(world: StandIns, kind: NotificationKind) -> list[NotifyRequest]:
    return [n for n in world.notified if n.kind == kind]


def keys_are_unique(world: StandIns) -> bool:
    keys = [n.notification_key for n in world.notified]
    return len(keys) == len(set(keys))


async def sent(world: StandIns, kind: NotificationKind, timeout: float = 60) -> list[NotifyRequest]:
    """The notifications of `kind` once one was sent (they go beside the main loop)."""

    async def poll() -> list[NotifyRequest]:
        while not of_kind(world, kind):
            await asyncio.sleep(0.05)
        return of_kind(world, kind)

    return await asyncio.wait_for(poll(), timeout)


async def test_a_runbook_awaiting_a_technician_asks_whoever_is_on_call_once(
    skipping_env: WorkflowEnvironment,
) -> None:
    world = StandIns(
        on_call=["us-oncall"],
        chain=L1,
        outcome=deciding(DecisionAction.APPROVE_REQUIRED, plan(RiskLevel.medium), approval_role="technician"),
    )
    async with running_incident(skipping_env.client, world, firing_alert()) as handle:
        state = await until(handle, lambda s: s.remediation is not None and s.assigned_to is not None)
        asked = await sent(world, NotificationKind.approval_requested)
        await handle.execute_update(IncidentWorkflow.answer_approval, answer("technician"))
        final = await asyncio.wait_for(handle.result(), timeout=20)
        await record_history(handle, "incident_approval_requested")
    assert state.remediation is not None
    # Assigned in the write that made it visible, before the decision: the assignee is asked.
    assert [(n.notification_key, n.user_ids) for n in asked] == [
        (f"{state.incident_id}:approval:run-1", ["us-oncall"])
    ]
    assert "awaits approval by a technician" in asked[0].body
    assert final.resolution == "auto_remediated"
    assert len(of_kind(world, NotificationKind.approval_requested)) == 1 and keys_are_unique(world)
    assert of_kind(world, NotificationKind.runbook_failed) == []


async def test_a_high_risk_runbook_asks_the_company_admins(skipping_env: WorkflowEnvironment) -> None:
    world = StandIns(
        on_call=["us-oncall"],
        chain=L1,
        approvers={"company_admin": ["us-admin-b", "us-admin-a"], "technician": ["us-tech"]},
        outcome=deciding(
            DecisionAction.APPROVE_REQUIRED, plan(RiskLevel.high), approval_role="company_admin"
        ),
    )
    async with running_incident(skipping_env.client, world, firing_alert()) as handle:
        asked = await sent(world, NotificationKind.approval_requested)
        await handle.terminate()
    assert [n.user_ids for n in asked] == [["us-admin-a", "us-admin-b", "us-oncall"]]  # and the assignee
    assert "company_admin or above" in asked[0].body


async def test_a_rolled_back_run_tells_the_assignee_once(skipping_env: WorkflowEnvironment) -> None:
    world = StandIns(
        on_call=["us-oncall"],
        chain=L1,
        outcome=deciding(DecisionAction.EXECUTE_RUNBOOK, plan(post_check="healthy?")),
    )
    world.failing_commands.add("healthy?")
    async with running_incident(skipping_env.client, world, firing_alert()) as handle:
        state = await until(handle, lambda s: s.status == IncidentStatus.escalated)
        told = await sent(world, NotificationKind.runbook_failed)
        # More alerts and writes later: the failure is not announced again.
        escalated = await handle.execute_update(
            IncidentWorkflow.escalate, EscalateIncident(user_id="us-lead", reason="take it")
        )
        await sent(world, NotificationKind.escalation)  # sent beside the loop, after the update answers
        await record_history(handle, "incident_runbook_failed_notified")
        await handle.terminate()
    assert state.remediation is not None and state.remediation.status == RemediationStatus.rolled_back
    assert [(n.notification_key, n.user_ids) for n in told] == [
        (f"{state.incident_id}:runbook_failed:run-1", ["us-oncall"])
    ]
    assert told[0].title.startswith("Runbook rolled back: Disk cleanup")
    assert "post-check failed" in told[0].body
    # The escalation reaches the chain's level and the assignee.
    assert escalated.escalation_level == 1
    assert [n.user_ids for n in of_kind(world, NotificationKind.escalation)] == [["us-l1", "us-oncall"]]
    assert len(of_kind(world, NotificationKind.runbook_failed)) == 1 and keys_are_unique(world)


async def test_a_failed_run_nobody_is_assigned_to_tells_the_first_level_of_the_chain(
    skipping_env: WorkflowEnvironment,
) -> None:
    world = StandIns(chain=L1, outcome=deciding(DecisionAction.EXECUTE_RUNBOOK, plan()))
    world.failing_commands.add("clear cache")
    async with running_incident(skipping_env.client, world, firing_alert()) as handle:
        told = await sent(world, NotificationKind.runbook_failed)
        await handle.terminate()
    assert [n.user_ids for n in told] == [["us-l1"]]


async def test_the_first_assignment_is_announced_in_the_write_that_makes_the_incident_visible(
    skipping_env: WorkflowEnvironment,
) -> None:
    """No `notify` activity for it (no activity task, no workflow task for its completion): the notice
    rides in `record_alerts`, whose store writes it as an outbox row with the incident."""
    world = StandIns(on_call=["us-oncall"], chain=L1)
    async with running_incident(skipping_env.client, world, firing_alert(), automation=False) as handle:
        state = await until(handle, lambda s: s.assigned_to is not None)
        history = await handle.fetch_history()
        await record_history(handle, "incident_assignment_notice_in_outbox")
        await handle.terminate()
    (notice,) = world.outboxed
    assert (notice.kind, notice.notification_key, notice.user_ids) == (
        NotificationKind.assignment,
        f"{state.incident_id}:assignment:1",
        ["us-oncall"],
    )
    assert notice.title == f"Assigned to you: {state.title}" and notice.body == "on call"
    assert notice.severity == state.severity == Severity.high and notice.company_id == "co-1"
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert "notify" not in scheduled and world.notified == [notice]


SHORT_SLA = {Severity.high: SlaTarget(response_seconds=100, resolution_seconds=1000)}


async def test_a_company_without_sla_tracking_keeps_no_clocks_but_still_assigns(
    skipping_env: WorkflowEnvironment,
) -> None:
    world = StandIns(on_call=["us-oncall"], chain=L1)
    policy = CorrelationPolicy(sla_tracking=False, sla_overrides=SHORT_SLA)
    async with running_incident(skipping_env.client, world, firing_alert(), policy=policy) as handle:
        state = await until(handle, lambda s: s.assigned_to is not None)
        await skipping_env.sleep(2000)  # past both targets it would have had
        later = await handle.query(IncidentWorkflow.current_state)
        await handle.terminate()
    assert state.assigned_to == "us-oncall" and state.sla is None
    assert later.sla is None and later.escalation_level == 0 and later.status == IncidentStatus.new
    assert [n.kind for n in world.notified] == [NotificationKind.assignment]


async def test_with_sla_tracking_and_auto_assignment_off_an_incident_only_correlates(
    skipping_env: WorkflowEnvironment,
) -> None:
    world = StandIns(on_call=["us-oncall"], chain=L1)
    policy = CorrelationPolicy(sla_tracking=False, auto_assignment=False, sla_overrides=SHORT_SLA)
    async with running_incident(
        skipping_env.client, world, firing_alert(), automation=False, policy=policy
    ) as handle:
        state = await until(handle, lambda s: s.status == IncidentStatus.new)
        await skipping_env.sleep(2000)
        later = await handle.query(IncidentWorkflow.current_state)
        await record_history(handle, "incident_without_sla_or_assignment")
        await handle.terminate()
    assert state.sla is None and later.sla is None and later.assigned_to is None
    assert not later.auto_assigned and world.notified == []


async def test_a_company_turning_sla_tracking_off_stops_further_sla_events(
    skipping_env: WorkflowEnvironment,
) -> None:
    world = StandIns(on_call=["us-oncall"], chain=L1)
    policy = CorrelationPolicy(sla_overrides=SHORT_SLA)
    async with running_incident(skipping_env.client, world, firing_alert(), policy=policy) as handle:
        await until(handle, lambda s: s.sla is not None)
        await handle.signal(
            IncidentWorkflow.policy_changed, policy.model_copy(update={"sla_tracking": False})
        )
        await until(handle, lambda s: not s.policy.sla_tracking)
        await skipping_env.sleep(2000)
        later = await handle.query(IncidentWorkflow.current_state)
        await handle.terminate()
    assert later.sla is not None and later.sla.response is not None and not later.sla.response.breached
    assert later.escalation_level == 0
    assert [n.kind for n in world.notified] == [NotificationKind.assignment]
