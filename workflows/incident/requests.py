"""What people ask of an incident through the API, as workflow updates: approve or reject the runbook that
awaits approval, ask for a runbook, acknowledge, escalate, assign, and pause or resume the SLA clocks.
Each is checked twice: by its validator, so a refusal never reaches the history, and again under the
write lock, since the incident may have moved on while the update waited for it."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.incident import attention, remediation, sla
    from workflows.incident.parts import IncidentParts
    from workflows.remediation.approval import may_approve
    from workflows.remediation.types import ApprovalAnswer, RunbookRequest
    from workflows.types import (
        OPEN_STATUSES,
        Acknowledge,
        AssignIncident,
        EscalateIncident,
        IncidentState,
        PauseSla,
    )

# Error types the API maps to HTTP answers (409, or 403 for an approver's role).
INCIDENT_CLOSED_ERROR = "IncidentClosed"
NOTHING_AWAITS_APPROVAL_ERROR = "NothingAwaitsApproval"
APPROVER_ROLE_ERROR = "ApproverRoleTooLow"
REMEDIATION_ACTIVE_ERROR = "RemediationInProgress"
NOT_ACKNOWLEDGEABLE_ERROR = "NotAcknowledgeable"


class IncidentRequests(IncidentParts):
    def _check_open(self) -> None:
        if self.state.status not in OPEN_STATUSES:
            raise ApplicationError(
                f"incident is {self.state.status.value}", type=INCIDENT_CLOSED_ERROR, non_retryable=True
            )

    @workflow.update
    async def answer_approval(self, answer: ApprovalAnswer) -> IncidentState:
        """An approver approves or rejects the runbook awaiting approval."""
        async with self.writing:
            self._check_awaiting_approval(answer)  # it may have timed out while this waited
            await self._write(
                remediation.answered(self.state, answer, workflow.now()),
                actor=answer.user_id,
            )
        return self.state

    @answer_approval.validator
    def _validate_answer_approval(self, answer: ApprovalAnswer) -> None:
        self._check_awaiting_approval(answer)

    def _check_awaiting_approval(self, answer: ApprovalAnswer) -> None:
        if (
            not self.decides
            or not remediation.awaiting_approval(self.state)
            or self.state.status not in OPEN_STATUSES
        ):
            raise ApplicationError(
                "nothing awaits approval on this incident",
                type=NOTHING_AWAITS_APPROVAL_ERROR,
                non_retryable=True,
            )
        assert self.state.remediation is not None
        required = self.state.remediation.approval.required_role
        if not may_approve(answer.role, required):
            raise ApplicationError(
                f"approving this {self.state.remediation.risk_level.value}-risk runbook needs "
                f"{required} or above",
                type=APPROVER_ROLE_ERROR,
                non_retryable=True,
            )

    @workflow.update
    async def request_runbook(self, req: RunbookRequest) -> IncidentState:
        """Someone asks for a runbook by hand; the same approval rules apply."""
        async with self.writing:
            self._check_may_request()
            await self._write(remediation.requested(self.state, req, workflow.now()), actor=req.requested_by)
        return self.state

    @request_runbook.validator
    def _validate_request_runbook(self, req: RunbookRequest) -> None:
        self._check_may_request()

    def _check_may_request(self) -> None:
        if not self.decides:
            raise ApplicationError("this incident's workflow predates runbooks", non_retryable=True)
        self._check_open()
        if remediation.remediation_active(self.state):
            raise ApplicationError(
                "a runbook already awaits approval or runs on this incident",
                type=REMEDIATION_ACTIVE_ERROR,
                non_retryable=True,
            )

    @workflow.update
    async def acknowledge(self, req: Acknowledge) -> IncidentState:
        """A technician takes the incident on: the response clock stops, the chain stops climbing."""
        async with self.writing:
            self._check_acknowledgeable()
            await self._write(
                attention.acknowledged(self.state, req.user_id, workflow.now()), actor=req.user_id
            )
        return self.state

    @acknowledge.validator
    def _validate_acknowledge(self, req: Acknowledge) -> None:
        self._check_acknowledgeable()

    def _check_acknowledgeable(self) -> None:
        self._check_in_care()
        if self.state.acknowledged_at is not None:
            raise ApplicationError(
                f"already acknowledged by {self.state.acknowledged_by} at {self.state.acknowledged_at}",
                type=NOT_ACKNOWLEDGEABLE_ERROR,
                non_retryable=True,
            )

    def _check_in_care(self) -> None:
        """Acknowledging, escalating, assigning and the SLA clocks need an open incident that keeps them."""
        if not self.tracks_sla:
            raise ApplicationError("this incident's workflow predates SLA tracking", non_retryable=True)
        self._check_open()

    @workflow.update
    async def escalate(self, req: EscalateIncident) -> IncidentState:
        """One level up the company's escalation chain, now."""
        async with self.writing:
            self._check_in_care()
            await self._escalate(f"asked by {req.user_id}: {req.reason}".strip(": "), actor=req.user_id)
        return self.state

    @escalate.validator
    def _validate_escalate(self, req: EscalateIncident) -> None:
        self._check_in_care()

    @workflow.update
    async def assign(self, req: AssignIncident) -> IncidentState:
        """Reassign by hand (the API has checked that the user may take this company's incidents)."""
        async with self.writing:
            self._check_in_care()
            await self._assign(req.user_id, f"assigned by {req.by}", actor=req.by)
        return self.state

    @assign.validator
    def _validate_assign(self, req: AssignIncident) -> None:
        self._check_in_care()

    @workflow.update
    async def pause_sla(self, req: PauseSla) -> IncidentState:
        """Pause the SLA clocks (waiting on the customer), with a reason; resume with `resume_sla`."""
        async with self.writing:
            self._check_pausable(pause=True)
            await self._write(sla.paused(self.state, req.reason, workflow.now()), actor=req.user_id)
        return self.state

    @pause_sla.validator
    def _validate_pause_sla(self, req: PauseSla) -> None:
        self._check_pausable(pause=True)

    @workflow.update
    async def resume_sla(self, req: PauseSla) -> IncidentState:
        async with self.writing:
            self._check_pausable(pause=False)
            await self._write(sla.resumed(self.state, workflow.now()), actor=req.user_id)
        return self.state

    @resume_sla.validator
    def _validate_resume_sla(self, req: PauseSla) -> None:
        self._check_pausable(pause=False)

    def _check_pausable(self, pause: bool) -> None:
        self._check_in_care()
        clocks = self.state.sla
        if clocks is None:
            raise ApplicationError(
                "the SLA clocks have not started", type=NOT_ACKNOWLEDGEABLE_ERROR, non_retryable=True
            )
        if clocks.paused == pause:
            state = "paused" if pause else "running"
            raise ApplicationError(
                f"the SLA clocks are already {state}", type=NOT_ACKNOWLEDGEABLE_ERROR, non_retryable=True
            )
