"""Maintenance windows changed on an actor's behalf: the writes, their audit, and the intake cache told
at once; and how many alerts each window has suppressed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core.accounts.actor import Actor
from core.audit import changed_fields, record
from core.db.models import Alert, MaintenanceWindow, utcnow
from core.maintenance.windows import MaintenanceWindows


@dataclass(frozen=True)
class WindowSpec:
    """Every field of a window that its owner sets, as stored (the API has validated them)."""

    name: str
    kind: str
    timezone: str
    starts_at: datetime | None
    ends_at: datetime | None
    weekly: list[dict[str, Any]]
    cron: str | None
    duration_minutes: int | None
    match_assets: list[str]
    match_signatures: list[str]
    match_labels: dict[str, str]
    enabled: bool


SPEC_FIELDS = tuple(f.name for f in fields(WindowSpec))


async def create(
    session: AsyncSession, windows: MaintenanceWindows, actor: Actor, company_id: str, spec: WindowSpec
) -> MaintenanceWindow:
    """The new window, committed and audited; matching alerts are suppressed from the next one on."""
    window = MaintenanceWindow(company_id=company_id, created_by=actor.user_id, **asdict(spec))
    session.add(window)
    await session.flush()
    await _audit(session, actor, "create", window, after=_audited(window))
    await session.commit()
    windows.forget(window.company_id)
    return window


async def replace(
    session: AsyncSession,
    windows: MaintenanceWindows,
    actor: Actor,
    window: MaintenanceWindow,
    spec: WindowSpec,
) -> MaintenanceWindow:
    """`window` with every field of `spec`; its company stays. Audited if anything changed."""
    before = _audited(window)
    for field, value in asdict(spec).items():
        setattr(window, field, value)
    was, now = changed_fields(before, _audited(window))
    if now:
        window.updated_at = utcnow()
        await _audit(session, actor, "update", window, before=was, after=now)
    await session.commit()
    windows.forget(window.company_id)
    return window


async def delete(
    session: AsyncSession, windows: MaintenanceWindows, actor: Actor, window: MaintenanceWindow
) -> None:
    """Alerts it suppressed stay suppressed and keep its id, for history and the suppression figures."""
    await _audit(session, actor, "delete", window, before=_audited(window))
    await session.delete(window)
    await session.commit()
    windows.forget(window.company_id)


async def suppressed_counts(session: AsyncSession, windows: list[MaintenanceWindow]) -> dict[str, int]:
    """How many alerts each of `windows` has suppressed, by window id; windows with none are left out."""
    if not windows:
        return {}
    # By company too, so the count walks the (company, received_at) index rather than every alert.
    query = (
        select(Alert.maintenance_window_id, func.count())
        .where(
            col(Alert.company_id).in_(sorted({w.company_id for w in windows})),
            col(Alert.maintenance_window_id).in_([w.id for w in windows]),
        )
        .group_by(col(Alert.maintenance_window_id))
    )
    return {window_id: int(n) for window_id, n in (await session.execute(query)).all() if window_id}


def _audited(window: MaintenanceWindow) -> dict[str, Any]:
    values = {f: getattr(window, f) for f in SPEC_FIELDS}
    return {f: v.isoformat() if isinstance(v, datetime) else v for f, v in values.items()}


async def _audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    window: MaintenanceWindow,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    await record(
        session,
        actor=actor.user_id,
        action=f"maintenance_window.{action}",
        company_id=window.company_id,
        object_type="maintenance_window",
        object_id=window.id,
        before=before,
        after=after,
    )
