"""How decisions, approvals and runbook runs change an incident. Pure functions of its state and `now`.

The incident workflow calls these and writes the result; the runs themselves are RemediationWorkflow's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from workflows.incident.recovery import resolved
from workflows.remediation.approval import may_approve
from workflows.remediation.types import (
    ACTIVE_REMEDIATION,
    Approval,
    ApprovalAnswer,
    DecisionAction,
    DecisionOutcome,
    Remediation,
    RemediationResult,
    RemediationStatus,
    RunbookPlan,
    RunbookRequest,
)
from workflows.types import OPEN_STATUSES, IncidentState, IncidentStatus

AUTO_REMEDIATED = "auto_remediated"
ALREADY_HEALTHY = "already_healthy"  # the runbook's pre-check found nothing to fix
NOT_NEEDED = "not needed: the incident resolved first"


def remediation_active(state: IncidentState) -> bool:
    return state.remediation is not None and state.remediation.status in ACTIVE_REMEDIATION


# An alert count that doubles again soon after a decision waits this long for the next one: a storm would
# otherwise decide at 2, 4, 8, 16 … alerts, each time the same. Rising severity decides at once.
REDECIDE_AFTER = timedelta(minutes=5)


def decision_due(state: IncidentState, now: datetime) -> bool:
    """When it first becomes visible; again at once when severity rises, and when the alert count has
    doubled, at most every REDECIDE_AFTER. Never while a runbook awaits approval or runs, nor for a
    company that turned automation off."""
    if not _may_decide(state):
        return False
    if state.decision is None or state.decided_severity is None:
        return True
    if state.severity.rank > state.decided_severity.rank:
        return True
    at = redecision_at(state)
    return at is not None and at <= now


def redecision_at(state: IncidentState) -> datetime | None:
    """When the doubled alert count gets its new decision (None: it has not doubled)."""
    if not _may_decide(state) or state.decision is None or state.decided_severity is None:
        return None
    if state.alert_count < 2 * max(state.decided_alert_count, 1):
        return None
    return state.decision.created_at + REDECIDE_AFTER


def _may_decide(state: IncidentState) -> bool:
    """Not after a run failed or an approval went unanswered: that incident is the technicians' now (a
    runbook may still be run by hand)."""
    if state.status not in OPEN_STATUSES or state.status == IncidentStatus.pending:
        return False
    if state.remediation is not None and state.remediation.status in HANDED_TO_PEOPLE:
        return False
    return state.policy.automation and not remediation_active(state)


HANDED_TO_PEOPLE = frozenset(
    {RemediationStatus.failed, RemediationStatus.rolled_back, RemediationStatus.escalated}
)


def decided(state: IncidentState, outcome: DecisionOutcome, now: datetime) -> IncidentState:
    s = state.model_copy(deep=True)
    s.decision = outcome.decision
    s.decided_severity = s.severity
    s.decided_alert_count = s.alert_count
    s.updated_at = now
    action = outcome.decision.action
    if action == DecisionAction.ESCALATE_TO_TECH or outcome.plan is None:
        # Left to a technician: the incident stays as it is, for whoever is on call to take it.
        return s
    approval_role = outcome.approval_role
    if action == DecisionAction.APPROVE_REQUIRED and approval_role is None:
        approval_role = "technician"  # the provider asked for a human: one must answer
    return _proposed(s, outcome.plan, approval_role, outcome.approval_timeout_minutes, "system", now)


def requested(state: IncidentState, req: RunbookRequest, now: datetime) -> IncidentState:
    """Someone asked for a runbook by hand: their own role may be the approval it needs."""
    s = state.model_copy(deep=True)
    s.updated_at = now
    s = _proposed(s, req.plan, req.approval_role, req.approval_timeout_minutes, req.requested_by, now)
    assert s.remediation is not None
    if req.approval_role is not None and may_approve(req.requester_role, req.approval_role):
        s.remediation.status = RemediationStatus.approved
        s.remediation.approval = s.remediation.approval.model_copy(
            update={"approved": True, "decided_by": req.requested_by, "decided_at": now, "timeout_at": None}
        )
    return s


def _proposed(
    s: IncidentState,
    plan: RunbookPlan,
    approval_role: str | None,
    timeout_minutes: int,
    requested_by: str,
    now: datetime,
) -> IncidentState:
    waits = approval_role is not None
    s.remediation_runs += 1
    s.remediation = Remediation(
        run_id=f"{s.incident_id}-run-{s.remediation_runs}",
        runbook_id=plan.runbook_id,
        runbook_name=plan.runbook_name,
        risk_level=plan.risk_level,
        status=RemediationStatus.awaiting_approval if waits else RemediationStatus.approved,
        requested_by=requested_by,
        approval=Approval(
            required_role=approval_role,
            requested_at=now if waits else None,
            timeout_at=now + timedelta(minutes=timeout_minutes) if waits else None,
        ),
        plan=plan,
        requested_at=now,
    )
    if s.status == IncidentStatus.new and not waits:
        s.status = IncidentStatus.in_progress
    return s


def awaiting_approval(state: IncidentState) -> bool:
    return state.remediation is not None and state.remediation.status == RemediationStatus.awaiting_approval


def approval_deadline(state: IncidentState) -> datetime | None:
    if not awaiting_approval(state) or state.status not in OPEN_STATUSES:
        return None
    assert state.remediation is not None
    return state.remediation.approval.timeout_at


def answered(state: IncidentState, answer: ApprovalAnswer, now: datetime) -> IncidentState:
    s = state.model_copy(deep=True)
    assert s.remediation is not None
    s.remediation.status = RemediationStatus.approved if answer.approve else RemediationStatus.rejected
    s.remediation.approval = s.remediation.approval.model_copy(
        update={
            "approved": answer.approve,
            "decided_by": answer.user_id,
            "decided_at": now,
            "comment": answer.comment,
        }
    )
    if not answer.approve:
        s.remediation.finished_at = now
    # Approved, it is being fixed; rejected, a person has taken it on.
    if s.status == IncidentStatus.new:
        s.status = IncidentStatus.in_progress
    s.updated_at = now
    return s


def approval_timed_out(state: IncidentState, now: datetime) -> IncidentState:
    s = state.model_copy(deep=True)
    assert s.remediation is not None
    s.remediation.status = RemediationStatus.escalated
    s.remediation.finished_at = now
    s.remediation.error = "no one answered the approval in time"
    s.status = IncidentStatus.escalated
    s.updated_at = now
    return s


def withdrawn(state: IncidentState, now: datetime) -> IncidentState:
    """The incident closed while its runbook still awaited approval: nobody needs to answer any more."""
    s = state.model_copy(deep=True)
    assert s.remediation is not None
    s.remediation.status = RemediationStatus.rejected
    s.remediation.approval = s.remediation.approval.model_copy(
        update={"approved": False, "decided_at": now, "comment": NOT_NEEDED}
    )
    s.remediation.finished_at = now
    s.updated_at = now
    return s


def ready_to_run(state: IncidentState) -> bool:
    return state.remediation is not None and state.remediation.status == RemediationStatus.approved


def started(state: IncidentState, now: datetime) -> IncidentState:
    s = state.model_copy(deep=True)
    assert s.remediation is not None
    s.remediation.status = RemediationStatus.running
    s.remediation.started_at = now
    s.updated_at = now
    return s


def finished(state: IncidentState, result: RemediationResult, now: datetime) -> IncidentState:
    """Success resolves the incident; failure escalates it, with the run's output on the remediation."""
    s = state.model_copy(deep=True)
    assert s.remediation is not None
    s.remediation.status = result.status
    s.remediation.steps = list(result.steps)
    s.remediation.skipped = result.skipped
    s.remediation.error = result.error
    s.remediation.finished_at = result.finished_at or now
    s.updated_at = now
    if s.status not in OPEN_STATUSES:
        return s  # resolved meanwhile (recovered, or by a technician): keep that resolution
    if result.status == RemediationStatus.succeeded:
        return resolved(s, ALREADY_HEALTHY if result.skipped else AUTO_REMEDIATED, now, by=None)
    s.status = IncidentStatus.escalated
    return s


FAILED_RUNS = frozenset({RemediationStatus.failed, RemediationStatus.rolled_back})


def newly_awaiting_approval(before: IncidentState, after: IncidentState) -> Remediation | None:
    """The run that awaits approval in `after` and did not in `before`: someone must be asked."""
    return _newly(before, after, frozenset({RemediationStatus.awaiting_approval}))


def newly_failed(before: IncidentState, after: IncidentState) -> Remediation | None:
    """The run that failed or rolled back in `after` and had not in `before`: a person must take over."""
    return _newly(before, after, FAILED_RUNS)


def _newly(
    before: IncidentState, after: IncidentState, statuses: frozenset[RemediationStatus]
) -> Remediation | None:
    run, was = after.remediation, before.remediation
    if run is None or run.status not in statuses:
        return None
    if was is not None and was.run_id == run.run_id and was.status in statuses:
        return None
    return run
