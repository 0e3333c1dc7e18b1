"""What each change to an incident becomes on the event stream: the one place that maps the workflow's
audit actions (workflows/incident/audit.py, correlation.audit_events) and API-side audit records to
event types.

The stream shows an incident when the incident list does: a `pending` incident (fewer alerts than the
company's `min_alerts`) has no events, and its `incident.created` comes with the write that takes it out
of `pending`. So a client never hears of an incident the list hides, and never hears of one before its
`incident.created`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.events.types import EventDraft, EventType
from workflows.remediation.types import RemediationStatus
from workflows.types import AuditEvent, IncidentState, IncidentStatus

# Audit actions that are events of their own; every other action about an incident is `incident.updated`
# with the action named in its data.
EVENT_TYPE_BY_AUDIT_ACTION: dict[str, EventType] = {
    "incident.opened": "incident.created",
    "incident.resolved": "incident.resolved",
    "decision.made": "decision.made",
    "approval.requested": "approval.requested",
    "approval.decided": "approval.decided",
    "approval.timed_out": "approval.decided",
    "runbook.started": "runbook.started",
    "runbook.finished": "runbook.finished",
    "sla.warning": "sla.warning",
    "sla.breached": "sla.breached",
    "assignment": "assignment",
    "note.added": "note.added",
}

_FINISHED_RUN = {RemediationStatus.succeeded, RemediationStatus.failed, RemediationStatus.rolled_back}


def event_type_of(action: str) -> EventType:
    return EVENT_TYPE_BY_AUDIT_ACTION.get(action, "incident.updated")


def incident_summary(state: IncidentState) -> dict[str, Any]:
    return {
        "status": state.status.value,
        "severity": state.severity.value,
        "priority_score": state.priority_score,
        "alert_count": state.alert_count,
        "assigned_to": state.assigned_to,
        "title": state.title[:300],
        "asset_name": state.asset_name,
        "signature": state.signature,
    }


_UNSEEN = frozenset({IncidentStatus.pending, IncidentStatus.void})


def _surfaces(event: AuditEvent) -> bool:
    """The write that takes the incident out of `pending` (to `new`, or straight to `resolved`)."""
    before = event.before or {}
    return event.action != "incident.opened" and before.get("status") == IncidentStatus.pending.value


def projection_events(state: IncidentState, audit: Sequence[AuditEvent], token: str) -> list[EventDraft]:
    """Events for one projection write of the incident workflow: one per audit event, `incident.updated`
    when none of them says what changed, and each finished runbook step's output once. None while the
    incident is pending or void; `incident.created` first when this write surfaces it."""
    if state.status in _UNSEEN:
        return []
    at = state.updated_at
    assert at is not None
    drafts = []
    if any(_surfaces(event) for event in audit):
        summary = {"action": "incident.surfaced", "incident": incident_summary(state)}
        drafts.append(_draft(f"{token}:s", "incident.created", state, at, summary))
    drafts += [
        _draft(
            f"{token}:{i}",
            event_type_of(event.action),
            state,
            at,
            {
                "action": event.action,
                "actor": event.actor,
                "before": event.before,
                "after": event.after,
                "incident": incident_summary(state),
            },
        )
        for i, event in enumerate(audit)
        # Pending -> new is the incident.created above; pending -> resolved stays incident.resolved.
        if not (_surfaces(event) and event.action == "incident.status_changed")
    ]
    if not drafts:
        drafts.append(
            _draft(f"{token}:u", "incident.updated", state, at, {"incident": incident_summary(state)})
        )
    drafts += _runbook_output(state, at)
    return drafts


def _runbook_output(state: IncidentState, at: datetime) -> list[EventDraft]:
    """Keyed by run and step, not by call: a step's output is written once, by whichever write sees it."""
    run = state.remediation
    if run is None:
        return []
    drafts = []
    for step in run.steps:
        if step.finished_at is None and step.error is None and run.status not in _FINISHED_RUN:
            continue
        drafts.append(
            _draft(
                f"out:{run.run_id[:120]}:{step.phase.value}:{step.index}",
                "runbook.output",
                state,
                at,
                {
                    "run_id": run.run_id,
                    "phase": step.phase.value,
                    "index": step.index,
                    "command": step.command[:500],
                    "exit_code": step.exit_code,
                    "output_tail": step.output_tail[-4000:],
                    "error": step.error,
                },
            )
        )
    return drafts


def recorded_events(
    state: IncidentState,
    audit: Sequence[AuditEvent],
    alert_ids: Sequence[str],
    token: str,
    *,
    projected: bool,
) -> list[EventDraft]:
    """Events for one `record_alerts` call that attached `alert_ids`: the projection's events when it
    wrote the projection too (`projected`), then `alert.correlated`. Without the projection, a new
    incident has no row yet: its alerts are reported by the `incident.created` of the write that follows."""
    drafts = projection_events(state, audit, token) if projected else []
    opening = any(e.action == "incident.opened" for e in audit)
    if alert_ids and state.status not in _UNSEEN and (projected or not opening):
        assert state.updated_at is not None
        drafts.append(
            _draft(
                f"{token}:c",
                "alert.correlated",
                state,
                state.updated_at,
                {"alert_ids": list(alert_ids)[:100], "alert_count": state.alert_count},
            )
        )
    return drafts


def _draft(
    key: str, type_: EventType, state: IncidentState, at: datetime, data: dict[str, Any]
) -> EventDraft:
    return EventDraft(
        dedup_key=key[:200],
        type=type_,
        company_id=state.company_id,
        incident_id=state.incident_id,
        at=at,
        data=data,
    )
