"""Decisions, approvals and runbook runs, as the incident and remediation workflows carry them.

Sandbox-safe: pydantic models and enums only. Every argument is one model, so a new field with a default
never breaks a signature or a recorded history.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class RiskLevel(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"

    @property
    def rank(self) -> int:
        return {RiskLevel.low: 1, RiskLevel.medium: 2, RiskLevel.high: 3}[self]


class ExecutorKind(StrEnum):
    ssm = "ssm"  # AWS Systems Manager Run Command on the asset's instances
    local = "local"  # a subprocess on the worker's host (off unless AW_LOCAL_EXECUTOR=true)


class DecisionAction(StrEnum):
    EXECUTE_RUNBOOK = "EXECUTE_RUNBOOK"
    APPROVE_REQUIRED = "APPROVE_REQUIRED"
    ESCALATE_TO_TECH = "ESCALATE_TO_TECH"


class Decision(BaseModel):
    action: DecisionAction
    runbook_id: str | None = None
    confidence: float = Field(0.0, ge=0, le=1)
    reasoning: str = ""
    provider: str = "rules"
    tokens_used: int = 0
    duration_ms: int = 0
    created_at: datetime
    # Providers tried before the one that decided, each with why it was passed over.
    fallbacks: list[str] = Field(default_factory=list)


class RunbookPlan(BaseModel):
    """A runbook made ready for one incident: parameters filled (checked, shell-quoted) into its commands.

    Credentials are not here (they would sit in workflow histories): executors look them up by company.
    """

    runbook_id: str
    runbook_name: str
    company_id: str
    risk_level: RiskLevel
    executor: ExecutorKind
    actions: list[str]
    rollback_actions: list[str] = Field(default_factory=list)  # rollback_actions[i] undoes actions[i]
    pre_check: str | None = None  # exit 0: nothing to fix, the run is skipped
    post_check: str | None = None  # exit 0: healthy after the actions
    timeout_seconds: int = 300  # per command
    targets: list[str] = Field(default_factory=list)  # instance ids, for the SSM executor
    demo: bool = False


class DecisionOutcome(BaseModel):
    """A decision and what follows from it for this incident."""

    decision: Decision
    plan: RunbookPlan | None = None
    # The least role that may approve the plan; None when it may run without anyone approving.
    approval_role: str | None = None
    approval_timeout_minutes: int = 30


class DecisionRequest(BaseModel):
    """Decide for this incident. `incident` is an `IncidentState` dumped to a dict (types.py imports us)."""

    incident: dict[str, object]
    dry_run: bool = False


class RemediationStatus(StrEnum):
    awaiting_approval = "awaiting_approval"
    approved = "approved"
    rejected = "rejected"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    rolled_back = "rolled_back"
    escalated = "escalated"


ACTIVE_REMEDIATION = frozenset(
    {RemediationStatus.awaiting_approval, RemediationStatus.approved, RemediationStatus.running}
)


class Approval(BaseModel):
    required_role: str | None = None  # None: ran without anyone approving (policy allowed it)
    requested_at: datetime | None = None
    timeout_at: datetime | None = None
    approved: bool | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    comment: str = ""


class StepPhase(StrEnum):
    pre_check = "pre_check"
    action = "action"
    post_check = "post_check"
    rollback = "rollback"


class StepResult(BaseModel):
    phase: StepPhase
    index: int
    command: str
    exit_code: int | None = None
    output_tail: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None  # the executor could not run it at all (permission, validation, ...)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.error is None


class Remediation(BaseModel):
    """The incident's current (or last) runbook run, from proposal to outcome."""

    run_id: str  # the remediation workflow's id
    runbook_id: str
    runbook_name: str = ""
    risk_level: RiskLevel = RiskLevel.low
    status: RemediationStatus
    requested_by: str = "system"  # a user id when someone asked for it by hand
    approval: Approval = Approval()
    plan: RunbookPlan
    steps: list[StepResult] = Field(default_factory=list)
    skipped: bool = False  # the pre-check passed: nothing to fix
    requested_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None


class RemediationInput(BaseModel):
    incident_id: str  # whose workflow is told the outcome (by workflow id, so any run of it)
    run_id: str
    plan: RunbookPlan


class RemediationResult(BaseModel):
    run_id: str
    status: RemediationStatus  # succeeded, failed or rolled_back
    steps: list[StepResult] = Field(default_factory=list)
    skipped: bool = False
    error: str | None = None
    finished_at: datetime | None = None


class StepRequest(BaseModel):
    """Run one command of a plan with its executor."""

    run_id: str
    company_id: str
    executor: ExecutorKind
    targets: list[str] = Field(default_factory=list)
    phase: StepPhase
    index: int
    command: str
    timeout_seconds: int = 300


class ApprovalAnswer(BaseModel):
    """An approver's answer to the remediation awaiting approval (a workflow update)."""

    user_id: str
    role: str
    approve: bool
    comment: str = ""


class RunbookRequest(BaseModel):
    """Someone asks for a runbook by hand (POST /api/incidents/{id}/execute-runbook)."""

    plan: RunbookPlan
    approval_role: str | None = None  # as the policy decides for this runbook on this incident
    approval_timeout_minutes: int = 30
    requested_by: str
    requester_role: str
