"""Appending to the audit log. The table is append-only: nothing in the application updates or
deletes it, and PostgreSQL refuses UPDATE, DELETE and TRUNCATE by trigger (migration 0002)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import AuditLog
from core.events import outbox
from core.events.mapping import event_type_of
from core.events.types import EventDraft

SYSTEM_ACTOR = "system"


async def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    company_id: str | None,
    object_type: str,
    object_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    """Adds an audit entry to the caller's transaction, so it commits (or not) with the change itself."""
    entry = AuditLog(
        actor=actor,
        action=action,
        company_id=company_id,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
    )
    session.add(entry)
    if object_type == "incident" and company_id is not None:
        # The request's side of an incident change; the workflow's own events follow from its projection.
        event = EventDraft(
            dedup_key=entry.id,
            type=event_type_of(action),
            company_id=company_id,
            incident_id=object_id,
            at=entry.at,
            data={"action": action, "actor": actor, "before": before, "after": after},
        )
        outbox.stage(session, [event])
    return entry


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields whose value `after` differs from `before` (both with the same keys), as they were and as
    they are: an update's audit entry records only those; both empty when nothing changed."""
    changed = [f for f in after if after[f] != before[f]]
    return {f: before[f] for f in changed}, {f: after[f] for f in changed}
