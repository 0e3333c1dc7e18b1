"""Appending to the audit log. The table is append-only: nothing in the application updates or
deletes it, and PostgreSQL refuses UPDATE, DELETE and TRUNCATE by trigger (migration 0002)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import AuditLog

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
    return entry


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields whose value `after` differs from `before` (both with the same keys), as they were and as
    they are: an update's audit entry records only those; both empty when nothing changed."""
    changed = [f for f in after if after[f] != before[f]]
    return {f: before[f] for f in changed}, {f: after[f] for f in changed}
