"""Decisions, approvals and runbook runs inside the incident workflow, with stand-in activities
(tests/support/incident_world.py) on the time-skipping server: an approval timeout of half an hour passes
in milliseconds. The real decision and executor activities are tested in tests/core and tests/e2e."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
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
from workflows.incident import workflow as incident_workflow
from workflows.incident.requests import APPROVER_ROLE_ERROR, NOTHING_AWAITS_APPROVAL_ERROR
from workflows.incident.workflow import IncidentWorkflow
from workflows.remediation.types import (
    DecisionAction,
    RemediationStatus,
    RiskLevel,
    StepPhase,
)
from workflows.types import AddAlerts, IncidentStatus, Severity


async def test_a_low_risk_runbook_the_policy_allows_runs_at_once_and_resolves_the_incident(
    skipping_env: WorkflowEnvironment,
) -> None:
    world = StandIns(outcome=deciding(DecisionAction.EXECUTE_RUNBOOK, plan(post_check="healthy?")))
    async with running_incident(skipping_env.client, world, firing_alert()) as handle:
        final = await asyncio.wait_for(handle.result(), timeout=20)
        await record_history(handle, "incident_auto_remediated")
    assert final.status == IncidentStatus.resolved and final.resolution == "auto_remediated"
    assert final.remediation is not None and final.remediation.status == RemediationStatus.succeeded
    assert [s.command for s in world.steps] == ["rotate logs", "clear cache", "healthy?"]
    assert len(world.decisions) == 1 and final.decision is not None


async def test_a_passing_pre_check_skips_the_run(skipping_env: WorkflowEnvironment) -> None:
    world = StandIns(outcome=deciding(DecisionAction.EXECUTE_RUNBOOK, plan(pre_check="already fine?")))
    async with running_incident(skipping_env.client, world, firing_alert()) as handle:
        final = await asyncio.wait_for(handle.result(), timeout=20)
    assert [s.command for s in world.steps] == ["already fine?"]
    assert final.remediation is not None and final.remediation.skipped
    assert final.resolution == "already_healthy"


async def test_a_failed_post_check_undoes_the_actions_in_reverse_and_escalates(
    skipping_env: WorkflowEnvironment,
) -> None:
    world = StandIns(outcome=deciding(DecisionAction.EXECUTE_RUNBOOK, plan(post_check="healthy?")))
    world.failing_commands.add("healthy?")
    async with running_incident(skipping_env.client, world, firing_alert()) as handle:
        state = await until(handle, lambda s: s.status == IncidentStatus.escalated)
        assert state.remediation is not None
        await record_history(handle, "incident_runbook_rolled_back")
        child = skipping_env.client.get_workflow_handle(state.remediation.run_id)
        await child.result()
        await record_history(child, "remediation_rolled_back")
        await handle.terminate()
    run = state.remediation
    assert run is not None and run.status == RemediationStatus.rolled_back
    assert [s.command for s in world.steps] == [
        "rotate logs",
        "clear cache",
        "healthy?",
        "warm cache",
        "restore logs",
    ]
    assert run.error and "post-check failed" in run.error
    assert [s.phase for s in run.steps][-2:] == [StepPhase.rollback, StepPhase.rollback]


async def test_a_failed_action_undoes_only_the_completed_ones(skipping_env: WorkflowEnvironment) -> None:
    world = StandIns(outcome=deciding(DecisionAction.EXECUTE_RUNBOOK, plan()))
    world.failing_commands.add("clear cache")
    async with running_incident(skipping_env.client, world, firing_alert()) as handle:
        state = await until(handle, lambda s: s.status == IncidentStatus.escalated)
        await handle.terminate()
    assert [s.command for s in world.steps] == ["rotate logs", "clear cache", "restore logs"]
    assert state.remediation is not None and state.remediation.status == RemediationStatus.rolled_back


async def test_a_high_risk_runbook_waits_for_an_admin_and_a_technician_cannot_approve_it(
    skipping_env: WorkflowEnvironment,
) -> None:
    world = StandIns(
        outcome=deciding(DecisionAction.APPROVE_REQUIRED, plan(RiskLevel.high), approval_role="company_admin")
    )
    async with running_incident(skipping_env.client, world, firing_alert()) as handle:
        state = await until(handle, lambda s: s.remediation is not None)
        assert state.remediation is not None
        assert state.remediation.status == RemediationStatus.awaiting_approval and not world.steps
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(IncidentWorkflow.answer_approval, answer("technician"))
        assert isinstance(refused.value.cause, ApplicationError)
        assert refused.value.cause.type == APPROVER_ROLE_ERROR

        approved = await handle.execute_update(IncidentWorkflow.answer_approval, answer("company_admin"))
        assert approved.remediation is not None
        assert approved.remediation.approval.decided_by == "us-company_admin"
        final = await asyncio.wait_for(handle.result(), timeout=20)
        await record_history(handle, "incident_runbook_approved")
    assert final.resolution == "auto_remediated" and len(world.steps) == 2


async def test_a_rejected_runbook_never_runs_and_a_second_answer_is_refused(
    skipping_env: WorkflowEnvironment,
) -> None:
    world = StandIns(
        outcome=deciding(DecisionAction.APPROVE_REQUIRED, plan(RiskLevel.medium), approval_role="technician")
    )
    async with running_incident(skipping_env.client, world, firing_alert()) as handle:
        await until(handle, lambda s: s.remediation is not None)
        rejected = await handle.execute_update(
            IncidentWorkflow.answer_approval, answer("technician", approve=False)
        )
        assert rejected.remediation is not None
        assert rejected.remediation.status == RemediationStatus.rejected
        assert rejected.status == IncidentStatus.in_progress
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(IncidentWorkflow.answer_approval, answer("technician"))
        assert isinstance(refused.value.cause, ApplicationError)
        assert refused.value.cause.type == NOTHING_AWAITS_APPROVAL_ERROR
        await handle.terminate()
    assert world.steps == []


async def test_an_approval_nobody_answers_escalates_the_incident(skipping_env: WorkflowEnvironment) -> None:
    world = StandIns(
        outcome=deciding(DecisionAction.APPROVE_REQUIRED, plan(RiskLevel.medium), approval_role="technician")
    )
    async with running_incident(skipping_env.client, world, firing_alert()) as handle:
        await until(handle, lambda s: s.remediation is not None)
        await skipping_env.sleep(31 * 60)
        state = await until(handle, lambda s: s.status == IncidentStatus.escalated)
        await record_history(handle, "incident_approval_timed_out")
        await handle.terminate()
    assert state.remediation is not None and state.remediation.status == RemediationStatus.escalated
    assert world.steps == []


async def test_an_incident_left_to_a_technician_keeps_its_status_and_decides_again_when_severity_rises(
    skipping_env: WorkflowEnvironment,
) -> None:
    world = StandIns()
    first = firing_alert().model_copy(update={"severity": Severity.low})
    async with running_incident(skipping_env.client, world, first) as handle:
        state = await until(handle, lambda s: s.decision is not None)
        assert state.status == IncidentStatus.new
        assert state.decision is not None and state.decision.action == DecisionAction.ESCALATE_TO_TECH

        await handle.execute_update(IncidentWorkflow.add_alerts, AddAlerts(alerts=[firing_alert()]))
        await until(handle, lambda s: s.alert_count == 2)
        await asyncio.wait_for(_decisions(world, 2), timeout=10)
        await handle.terminate()


async def _decisions(world: StandIns, n: int) -> None:
    while len(world.decisions) < n:
        await asyncio.sleep(0.05)


async def test_a_run_outlives_its_incident_continuing_as_new_and_reports_to_the_new_run(
    temporal_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child is started with ABANDON and signals the incident's workflow id, so the run that took
    over (carrying the remediation as `running`) takes in the outcome and resolves. On the dev server:
    the time-skipping server at times lost a query to the run continued as new."""
    monkeypatch.setattr(incident_workflow, "MESSAGES_PER_RUN", 3)
    world = StandIns(outcome=deciding(DecisionAction.EXECUTE_RUNBOOK, plan()))
    world.release_steps.clear()
    async with running_incident(temporal_client, world, firing_alert(), sandboxed=False) as handle:
        await asyncio.wait_for(world.stepping.wait(), timeout=10)
        first_run = (await handle.describe()).run_id
        for _ in range(3):
            await handle.signal(IncidentWorkflow.alerts_arrived, AddAlerts(alerts=[firing_alert()]))
        await until(handle, lambda s: s.alert_count == 4)
        assert (await handle.describe()).run_id != first_run, "it continued as new while the run ran"
        world.release_steps.set()
        final = await asyncio.wait_for(handle.result(), timeout=20)  # follows the runs
        await record_history(handle, "incident_run_across_continue_as_new")
    assert final.resolution == "auto_remediated" and final.alert_count == 4
    assert [s.command for s in world.steps] == ["rotate logs", "clear cache"]


async def test_a_company_that_turned_automation_off_gets_no_decisions(
    skipping_env: WorkflowEnvironment,
) -> None:
    world = StandIns(outcome=deciding(DecisionAction.EXECUTE_RUNBOOK, plan()))
    first = firing_alert()
    async with running_incident(skipping_env.client, world, first, automation=False) as handle:
        await handle.execute_update(IncidentWorkflow.add_alerts, AddAlerts(alerts=[firing_alert()]))
        state = await until(handle, lambda s: s.alert_count == 2)
        await handle.terminate()
    assert state.decision is None and world.decisions == [] and world.steps == []
