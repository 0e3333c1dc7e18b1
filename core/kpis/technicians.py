"""`technician_figures`: per assignee of the given companies, their open incidents now and what they
resolved, acknowledged and breached in a range. Two queries: counts, then medians (core/kpis/dialect.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from core.db.models import Incident
from core.db.upsert import dialect_of
from core.kpis.dialect import json_time_within, percentiles_by, seconds_between, tune_for_aggregates
from core.kpis.shape import TechnicianFigures
from core.kpis.window import KpiWindow
from workflows.types import IncidentStatus

SURFACED_OPEN = (IncidentStatus.new.value, IncidentStatus.in_progress.value, IncidentStatus.escalated.value)


def _within(moment: Any, window: KpiWindow) -> ColumnElement[bool]:
    return (moment >= window.start) & (moment < window.end)


async def technician_figures(
    session: AsyncSession, company_ids: Sequence[str] | None, window: KpiWindow
) -> list[TechnicianFigures]:
    """Figures of every assignee with an open incident now, or one acknowledged, resolved or breached in
    the window; ordered by user id. `company_ids` None: every company."""
    await tune_for_aggregates(session)
    dialect = dialect_of(session)
    assignee: ColumnElement[Any] = col(Incident.assigned_to)  # type: ignore[assignment]
    scope = [assignee.is_not(None)]
    if company_ids is not None:
        scope.append(col(Incident.company_id).in_(sorted(company_ids)))
    open_now = col(Incident.status).in_(SURFACED_OPEN)
    resolved = (col(Incident.status) == IncidentStatus.resolved.value) & _within(
        col(Incident.resolved_at), window
    )
    acknowledged = _within(col(Incident.acknowledged_at), window)
    sla = col(Incident.sla)
    breaches = [
        json_time_within(dialect, sla[(clock, "breached_at")].as_string(), window.start, window.end)
        for clock in ("response", "resolution")
    ]
    counts = (
        select(
            assignee,
            func.count().filter(open_now),
            func.count().filter(resolved),
            func.count().filter(breaches[0]) + func.count().filter(breaches[1]),
        )
        .where(*scope, or_(open_now, resolved, acknowledged, *breaches))
        .group_by(assignee)
    )
    found: dict[str, TechnicianFigures] = {
        user_id: TechnicianFigures(
            user_id=user_id, open_now=int(n_open), resolved=int(n_resolved), sla_breaches=int(n_breaches)
        )
        for user_id, n_open, n_resolved, n_breaches in await session.execute(counts)
    }
    created = col(Incident.created_at)
    durations = {
        "mtta": case((acknowledged, seconds_between(dialect, col(Incident.acknowledged_at), created))),
        "mttr": case((resolved, seconds_between(dialect, col(Incident.resolved_at), created))),
    }
    medians = await percentiles_by(session, assignee, durations, [*scope, or_(acknowledged, resolved)], str)
    for user_id, figures in medians.items():
        if user_id in found:  # not the total over everyone
            found[user_id].mtta_median_seconds = figures["mtta"].median
            found[user_id].mttr_median_seconds = figures["mttr"].median
    return [found[user_id] for user_id in sorted(found)]
