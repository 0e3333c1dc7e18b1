"""Stand-in activities for incident workflow tests on the time-skipping server (no database).

Each is an `@activity.defn` under the real activity's name, as in Temporal's samples, so the workflow
runs unchanged and the test sees what it asked of the outside world."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from workflows.assignment.types import (
    Approvers,
    ApproversRequest,
    Assignment,
    AssignRequest,
    EscalationRequest,
    EscalationStep,
)
from workflows.incident.correlation import aggregation_key, series_fingerprint
from workflows.incident.workflow import IncidentWorkflow
from workflows.notifications.types import NotifyRequest, NotifyResult
from workflows.remediation.types import (
    ApprovalAnswer,
    Decision,
    DecisionAction,
    DecisionOutcome,
    DecisionRequest,
    ExecutorKind,
    RiskLevel,
    RunbookPlan,
    StepRequest,
    StepResult,
)
from workflows.remediation.workflow import RemediationWorkflow
from workflows.types import (
    AggregationMode,
    AlertRef,
    CorrelationPolicy,
    ForwardAlerts,
    IncidentInput,
    IncidentStart,
    IncidentState,
    ProjectIncident,
    RecordAlerts,
    RecordAlertsResult,
    SeriesRecoveries,
    SeriesRecoveriesQuery,
    Severity,
)

IncidentHandle = WorkflowHandle[IncidentWorkflow, IncidentState]
KEY = aggregation_key(AggregationMode.asset_signature, asset="db-1", signature="disk_full")


def firing_alert(received_at: datetime | None = None) -> AlertRef:
    return AlertRef(
        id=f"al-{uuid.uuid4().hex[:10]}",
        received_at=received_at or datetime.now(UTC),
        severity=Severity.high,
        tool_source="test",
        fingerprint=series_fingerprint(asset="db-1", signature="disk_full"),
        asset_name="db-1",
        signature="disk_full",
    )


def start_input(
    first: AlertRef, incident_id: str, automation: bool = True, policy: CorrelationPolicy | None = None
) -> IncidentInput:
    return IncidentInput(
        start=IncidentStart(
            incident_id=incident_id,
            company_id="co-1",
            aggregation_key=KEY,
            generation=1,
            policy=(policy or CorrelationPolicy()).model_copy(update={"automation": automation}),
            alerts=[first],
        )
    )


def plan(
    risk: RiskLevel = RiskLevel.low, post_check: str | None = None, pre_check: str | None = None
) -> RunbookPlan:
    return RunbookPlan(
        runbook_id="rb_disk",
        runbook_name="Disk cleanup",
        company_id="co-1",
        risk_level=risk,
        executor=ExecutorKind.local,
        actions=["rotate logs", "clear cache"],
        rollback_actions=["restore logs", "warm cache"],
        pre_check=pre_check,
        post_check=post_check,
    )


def deciding(
    action: DecisionAction, the_plan: RunbookPlan | None, approval_role: str | None = None
) -> Callable[[DecisionRequest], DecisionOutcome]:
    def outcome(_: DecisionRequest) -> DecisionOutcome:
        return DecisionOutcome(
            decision=Decision(
                action=action,
                runbook_id=the_plan.runbook_id if the_plan else None,
                confidence=0.8,
                reasoning="test",
                created_at=datetime.now(UTC),
            ),
            plan=the_plan,
            approval_role=approval_role,
            approval_timeout_minutes=30,
        )

    return outcome


def answer(role: str, approve: bool = True) -> ApprovalAnswer:
    return ApprovalAnswer(user_id=f"us-{role}", role=role, approve=approve, comment="looks right")


def _released() -> asyncio.Event:
    event = asyncio.Event()
    event.set()
    return event


@dataclass
class StandIns:
    """Records what the workflow recorded, projected and forwarded. Every alert attaches, except those in
    `already_elsewhere` (attached to another incident before, as after a crash). A test that clears
    `release_recording` holds `record_alerts` open until it sets it; `recording` says one is waiting."""

    recorded: list[str] = field(default_factory=list)
    projected: list[IncidentState] = field(default_factory=list)
    forwarded: list[AlertRef] = field(default_factory=list)
    already_elsewhere: set[str] = field(default_factory=set)
    recording: asyncio.Event = field(default_factory=asyncio.Event)
    release_recording: asyncio.Event = field(default_factory=_released)
    # What `decide_incident` answers (default: leave it to a technician), and the steps it was asked to run.
    outcome: Callable[[DecisionRequest], DecisionOutcome] | None = None
    decisions: list[DecisionRequest] = field(default_factory=list)
    steps: list[StepRequest] = field(default_factory=list)
    failing_commands: set[str] = field(default_factory=set)
    # Who is on call (the stand-in assigns the first), the chain's levels, and what was sent.
    on_call: list[str] = field(default_factory=list)
    chain: list[EscalationStep] = field(default_factory=list)
    notified: list[NotifyRequest] = field(default_factory=list)
    # Of those, the notices `record_alerts` carried (written with the incident, not sent by `notify`).
    outboxed: list[NotifyRequest] = field(default_factory=list)
    # Who may approve, by the least role an approval needs (the stand-in answers what it is given).
    approvers: dict[str, list[str]] = field(default_factory=dict)
    # Cleared, steps wait for it; `stepping` says one is waiting.
    release_steps: asyncio.Event = field(default_factory=_released)
    stepping: asyncio.Event = field(default_factory=asyncio.Event)

    def activities(self) -> list[Callable[..., Any]]:
        @activity.defn(name="record_alerts")
        async def record_alerts(req: RecordAlerts) -> RecordAlertsResult:
            self.recording.set()
            await self.release_recording.wait()
            attached = [i for i in req.alert_ids if i not in self.already_elsewhere]
            self.recorded.extend(attached)
            if req.notification is not None and len(attached) == len(req.alert_ids):
                # Written with the projection as an outbox notice, as the real store does: sent all the same.
                self.notified.append(req.notification)
                self.outboxed.append(req.notification)
            return RecordAlertsResult(attached_ids=attached)

        @activity.defn(name="project_incident")
        async def project_incident(req: ProjectIncident) -> None:
            self.projected.append(req.state)

        @activity.defn(name="count_series_recoveries")
        async def count_series_recoveries(req: SeriesRecoveriesQuery) -> SeriesRecoveries:
            return SeriesRecoveries(counts={})

        @activity.defn(name="forward_alerts")
        async def forward_alerts(req: ForwardAlerts) -> None:
            self.forwarded.extend(req.alerts)

        @activity.defn(name="decide_incident")
        async def decide_incident(req: DecisionRequest) -> DecisionOutcome:
            self.decisions.append(req)
            if self.outcome is not None:
                return self.outcome(req)
            return DecisionOutcome(
                decision=Decision(
                    action=DecisionAction.ESCALATE_TO_TECH, reasoning="stand-in", created_at=datetime.now(UTC)
                )
            )

        @activity.defn(name="run_runbook_step")
        async def run_runbook_step(req: StepRequest) -> StepResult:
            self.stepping.set()
            await self.release_steps.wait()
            self.steps.append(req)
            now = datetime.now(UTC)
            code = 1 if req.command in self.failing_commands else 0
            return StepResult(
                phase=req.phase,
                index=req.index,
                command=req.command,
                exit_code=code,
                started_at=now,
                finished_at=now,
            )

        @activity.defn(name="choose_assignee")
        async def choose_assignee(req: AssignRequest) -> Assignment:
            if not self.on_call:
                return Assignment(user_id=None, reason="nobody on call")
            return Assignment(user_id=self.on_call[0], reason="on call")

        @activity.defn(name="escalation_step")
        async def escalation_step(req: EscalationRequest) -> EscalationStep:
            if not self.chain:
                return EscalationStep(level=req.level, wait_minutes=0, last_level=True)
            step = self.chain[min(req.level, len(self.chain)) - 1]
            return step.model_copy(update={"level": req.level, "last_level": req.level >= len(self.chain)})

        @activity.defn(name="approvers")
        async def approvers(req: ApproversRequest) -> Approvers:
            return Approvers(user_ids=self.approvers.get(req.required_role, []))

        @activity.defn(name="notify")
        async def notify(req: NotifyRequest) -> NotifyResult:
            self.notified.append(req)
            return NotifyResult(delivered={"in_app": req.user_ids})

        return [
            approvers,
            choose_assignee,
            escalation_step,
            notify,
            record_alerts,
            project_incident,
            count_series_recoveries,
            forward_alerts,
            decide_incident,
            run_runbook_step,
        ]


@asynccontextmanager
async def running_incident(
    client: Client,
    world: StandIns,
    first: AlertRef,
    sandboxed: bool = True,
    automation: bool = True,
    policy: CorrelationPolicy | None = None,
) -> AsyncIterator[IncidentHandle]:
    """An incident workflow opened by `first`, on a worker of its own task queue with `world`'s stand-ins.
    Unsandboxed, the workflow sees module constants a test has patched."""
    task_queue = f"wf-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[IncidentWorkflow, RemediationWorkflow],
        activities=world.activities(),
        **({} if sandboxed else {"workflow_runner": UnsandboxedWorkflowRunner()}),
    ):
        incident_id = f"incident-{uuid.uuid4().hex[:8]}"
        yield await client.start_workflow(
            IncidentWorkflow.run,
            start_input(first, incident_id, automation, policy),
            id=incident_id,
            task_queue=task_queue,
        )


async def until(
    handle: IncidentHandle, done: Callable[[IncidentState], bool], timeout: float = 20
) -> IncidentState:
    """The incident's state once `done` holds, queried every 50 ms."""

    async def poll() -> IncidentState:
        while True:
            state = await handle.query(IncidentWorkflow.current_state)
            if done(state):
                return state
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(poll(), timeout)
