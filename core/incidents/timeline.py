"""Everything that happened to an incident, in order: alerts (grouped when many), decisions with their
reasoning, approvals, runbook runs with output, SLA events, assignments, notifications, notes and every
other audit entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core.audit import record
from core.db.models import Alert, AuditLog, DecisionRecord, Event, Incident, RemediationRun

# Alerts listed one by one up to this many; beyond it, one entry per (signature, status, tool).
ALERTS_LISTED = 20
NOTE_ACTION = "note.added"

EntryKind = Literal["alert", "alert_group", "decision", "runbook_run", "notification", "audit", "note"]


class TimelineEntry(BaseModel):
    at: datetime
    kind: EntryKind
    action: str = ""
    actor: str | None = None
    data: dict[str, Any] = {}


async def timeline(session: AsyncSession, incident: Incident) -> list[TimelineEntry]:
    entries = await _alerts(session, incident)
    audits = await session.execute(
        select(AuditLog)
        .where(AuditLog.object_type == "incident", AuditLog.object_id == incident.id)
        .where(AuditLog.company_id == incident.company_id)
    )
    for entry in audits.scalars():
        entries.append(
            TimelineEntry(
                at=entry.at,
                kind="note" if entry.action == NOTE_ACTION else "audit",
                action=entry.action,
                actor=entry.actor,
                data={"before": entry.before, "after": entry.after},
            )
        )
    decisions = await session.execute(select(DecisionRecord).where(DecisionRecord.incident_id == incident.id))
    for d in decisions.scalars():
        entries.append(
            TimelineEntry(
                at=d.created_at,
                kind="decision",
                action=d.action,
                data={
                    "runbook_id": d.runbook_id,
                    "confidence": d.confidence,
                    "reasoning": d.reasoning,
                    "provider": d.provider,
                },
            )
        )
    runs = await session.execute(select(RemediationRun).where(RemediationRun.incident_id == incident.id))
    for run in runs.scalars():
        entries.append(
            TimelineEntry(
                at=run.requested_at,
                kind="runbook_run",
                action=run.status,
                actor=run.requested_by,
                data={
                    "run_id": run.id,
                    "runbook_id": run.runbook_id,
                    "approval": run.approval,
                    "steps": run.steps,
                    "started_at": run.started_at,
                    "finished_at": run.finished_at,
                    "error": run.error,
                },
            )
        )
    notifications = await session.execute(
        select(Event).where(
            Event.company_id == incident.company_id,
            Event.incident_id == incident.id,
            Event.type == "notification",
        )
    )
    for event in notifications.scalars():
        entries.append(TimelineEntry(at=event.at, kind="notification", action=event.type, data=event.data))
    return sorted(entries, key=lambda e: e.at)


async def _alerts(session: AsyncSession, incident: Incident) -> list[TimelineEntry]:
    where = (col(Alert.incident_id) == incident.id, col(Alert.company_id) == incident.company_id)
    count = (await session.execute(select(func.count()).select_from(Alert).where(*where))).scalar_one()
    if count <= ALERTS_LISTED:
        rows = await session.execute(select(Alert).where(*where))
        return [
            TimelineEntry(
                at=a.received_at,
                kind="alert",
                action=a.status,
                data={
                    "id": a.id,
                    "asset_name": a.asset_name,
                    "signature": a.signature,
                    "severity": a.severity,
                    "message": a.message,
                    "tool_source": a.tool_source,
                },
            )
            for a in rows.scalars()
        ]
    groups = await session.execute(
        core_select(
            col(Alert.signature),
            col(Alert.status),
            col(Alert.tool_source),
            func.count(),
            func.min(col(Alert.received_at)),
            func.max(col(Alert.received_at)),
        )
        .where(*where)
        .group_by(col(Alert.signature), col(Alert.status), col(Alert.tool_source))
    )
    return [
        TimelineEntry(
            at=first,
            kind="alert_group",
            action=status,
            data={
                "signature": signature,
                "tool_source": tool,
                "count": n,
                "first_at": first,
                "last_at": last,
            },
        )
        for signature, status, tool, n, first, last in groups
    ]


async def add_note(session: AsyncSession, incident: Incident, user_id: str, text: str) -> AuditLog:
    """A note is an audit entry of its own: append-only, and its event commits with it."""
    return await record(
        session,
        actor=user_id,
        action=NOTE_ACTION,
        company_id=incident.company_id,
        object_type="incident",
        object_id=incident.id,
        after={"text": text},
    )
