"""Who looks after an incident, and how urgently: acknowledgement, assignment and escalation. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta

from workflows.assignment.types import EscalationStep
from workflows.incident import sla
from workflows.types import OPEN_STATUSES, CorrelationPolicy, IncidentState, IncidentStatus, SlaClockKind


def acknowledged(state: IncidentState, user_id: str, now: datetime) -> IncidentState:
    """The response clock stops, and the escalation chain stops climbing by itself."""
    s = sla.met(state, SlaClockKind.response, now)
    s.acknowledged_at, s.acknowledged_by = now, user_id
    s.next_escalation_at = None
    if s.status == IncidentStatus.new:
        s.status = IncidentStatus.in_progress
    s.updated_at = now
    return s


def switches_on(policy: CorrelationPolicy) -> CorrelationPolicy:
    """The policy as an incident run without the `sla-and-assignment-switches` patch reads it: SLA tracking
    and auto-assignment on, whatever the company chose."""
    if policy.sla_tracking and policy.auto_assignment:
        return policy
    return policy.model_copy(update={"sla_tracking": True, "auto_assignment": True})


def assigned(state: IncidentState, user_id: str, now: datetime) -> IncidentState:
    s = state.model_copy(deep=True)
    s.assigned_to = user_id
    s.assignments += 1
    s.updated_at = now
    return s


def escalated(state: IncidentState, step: EscalationStep, now: datetime) -> IncidentState:
    """One level up the chain. Until someone acknowledges, the next level follows after this one's wait."""
    s = state.model_copy(deep=True)
    s.escalated = True
    s.escalation_level = step.level
    if s.status in OPEN_STATUSES and s.status != IncidentStatus.pending:
        s.status = IncidentStatus.escalated
    climbs = not step.last_level and s.acknowledged_at is None
    s.next_escalation_at = now + timedelta(minutes=step.wait_minutes) if climbs else None
    if step.reassign_to is not None and step.reassign_to != s.assigned_to:
        s.assigned_to = step.reassign_to
        s.assignments += 1
    s.updated_at = now
    return s


def escalation_due(state: IncidentState, now: datetime) -> bool:
    return (
        state.status in OPEN_STATUSES
        and state.next_escalation_at is not None
        and state.acknowledged_at is None
        and state.next_escalation_at <= now
    )


def next_escalation(state: IncidentState) -> datetime | None:
    if state.status not in OPEN_STATUSES or state.acknowledged_at is not None:
        return None
    return state.next_escalation_at


def resolution_clock_running_after_close(state: IncidentState) -> bool:
    clock = state.sla.resolution if state.sla else None
    return state.status not in OPEN_STATUSES and clock is not None and clock.met_at is None


def needs_care(state: IncidentState) -> bool:
    """Work for the main loop beyond alerts: clocks to start or stop, targets that changed."""
    return (
        sla.needs_clocks(state) or resolution_clock_running_after_close(state) or sla.targets_changed(state)
    )


def reopened(state: IncidentState, user_id: str, now: datetime) -> IncidentState:
    """A resolved incident taken up again: open, with a new resolution clock, its chain from the start."""
    s = sla.reopened(state, now)
    s.status = IncidentStatus.in_progress
    s.resolution = s.resolved_at = s.resolved_by = None
    s.awaiting_confirmation = False
    s.escalated, s.escalation_level, s.next_escalation_at = False, 0, None
    s.reopened += 1
    s.updated_at = now
    return s


def needs_assignee(state: IncidentState) -> bool:
    """Visible (its clocks running, where the company keeps an SLA), its company assigns automatically,
    and nobody assigned or tried yet."""
    visible = state.sla is not None or (
        not state.policy.sla_tracking and state.status != IncidentStatus.pending
    )
    return (
        visible
        and state.policy.auto_assignment
        and state.status in OPEN_STATUSES
        and state.assigned_to is None
        and not state.auto_assigned
    )
