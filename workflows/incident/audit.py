"""Audit events for decisions, approvals and runbook runs (correlation.audit_events covers the rest)."""

from __future__ import annotations

from typing import Any

from workflows.incident import sla
from workflows.remediation.types import Remediation, RemediationStatus
from workflows.types import AuditEvent, IncidentState

_ACTION_BY_STATUS = {
    RemediationStatus.awaiting_approval: "approval.requested",
    RemediationStatus.approved: "approval.decided",
    RemediationStatus.rejected: "approval.decided",
    RemediationStatus.running: "runbook.started",
    RemediationStatus.succeeded: "runbook.finished",
    RemediationStatus.failed: "runbook.finished",
    RemediationStatus.rolled_back: "runbook.finished",
    RemediationStatus.escalated: "approval.timed_out",
}


def remediation_audit(before: IncidentState, after: IncidentState, actor: str | None) -> list[AuditEvent]:
    events = []
    decision = after.decision
    if decision is not None and (
        before.decision is None or before.decision.created_at != decision.created_at
    ):
        events.append(
            AuditEvent(
                action="decision.made",
                after={
                    "action": decision.action.value,
                    "runbook_id": decision.runbook_id,
                    "confidence": decision.confidence,
                    "provider": decision.provider,
                    "reasoning": decision.reasoning[:1000],
                    "fallbacks": decision.fallbacks,
                },
            )
        )
    run = after.remediation
    if run is None:
        return events
    previous = before.remediation
    if previous is not None and previous.run_id == run.run_id and previous.status == run.status:
        return events
    # Approved at once (policy allowed it, or the requester could approve): say so before it starts.
    if run.status == RemediationStatus.approved and run.approval.required_role is None:
        return events
    events.append(
        AuditEvent(
            action=_ACTION_BY_STATUS[run.status],
            actor=actor if run.status in (RemediationStatus.approved, RemediationStatus.rejected) else None,
            before={"status": previous.status.value} if previous and previous.run_id == run.run_id else None,
            after=_view(run),
        )
    )
    return events


def _view(run: Remediation) -> dict[str, Any]:
    view: dict[str, Any] = {
        "run_id": run.run_id,
        "runbook_id": run.runbook_id,
        "runbook_name": run.runbook_name,
        "risk_level": run.risk_level.value,
        "status": run.status.value,
        "requested_by": run.requested_by,
    }
    if run.approval.required_role is not None:
        view["approval"] = run.approval.model_dump(mode="json")
    if run.status in (RemediationStatus.succeeded, RemediationStatus.failed, RemediationStatus.rolled_back):
        view["skipped"] = run.skipped
        view["error"] = run.error
        view["steps"] = len(run.steps)
    return view


def attention_audit(before: IncidentState, after: IncidentState, actor: str | None) -> list[AuditEvent]:
    """Acknowledgement, assignment, escalation and SLA clock events."""
    events = []
    if before.resolution and not after.resolution:
        events.append(
            AuditEvent(action="incident.reopened", actor=actor, before={"resolution": before.resolution})
        )
    if after.acknowledged_at is not None and before.acknowledged_at is None:
        events.append(AuditEvent(action="incident.acknowledged", actor=after.acknowledged_by))
    if after.assigned_to != before.assigned_to:
        events.append(
            AuditEvent(
                action="assignment",
                actor=actor,
                before={"assigned_to": before.assigned_to},
                after={"assigned_to": after.assigned_to},
            )
        )
    if after.escalation_level > before.escalation_level:
        events.append(
            AuditEvent(
                action="incident.escalated",
                actor=actor,
                before={"level": before.escalation_level},
                after={"level": after.escalation_level, "next_escalation_at": after.next_escalation_at},
            )
        )
    events += _sla_events(before, after, actor)
    return events


def _sla_events(before: IncidentState, after: IncidentState, actor: str | None) -> list[AuditEvent]:
    events = []
    was = {c.kind: c for c in sla.clocks(before)}
    for clock in sla.clocks(after):
        old = was.get(clock.kind)
        if clock.breached and not (old and old.breached):
            events.append(AuditEvent(action="sla.breached", after={"clock": clock.kind.value}))
        elif old is not None and set(clock.warned) - set(old.warned):
            percent = max(set(clock.warned) - set(old.warned))
            events.append(
                AuditEvent(action="sla.warning", after={"clock": clock.kind.value, "percent": percent})
            )
    paused = bool(after.sla and after.sla.paused)
    if paused != bool(before.sla and before.sla.paused):
        reason = after.sla.pause_reason if after.sla else ""
        events.append(
            AuditEvent(
                action="sla.paused" if paused else "sla.resumed", actor=actor, after={"reason": reason}
            )
        )
    return events
