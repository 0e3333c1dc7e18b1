"""Audit events for decisions, approvals and runbook runs (correlation.audit_events covers the rest)."""

from __future__ import annotations

from typing import Any

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
