"""`kpi_report`: totals and a bucketed series for some companies, each figure a SQL aggregate.

Alerts count in the bucket they were received in, incidents (and everything measured on them) in the bucket
they opened in, approval waits in the bucket their run was requested in. Five queries in all: two over the
alerts, two over the incidents, one over the runbook runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, false, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from core.db.models import Alert, Incident, RemediationRun
from core.db.upsert import dialect_of
from core.kpis.dialect import (
    TOTAL,
    as_utc,
    bucket_start,
    json_time,
    percentiles_by,
    seconds_between,
    tune_for_aggregates,
)
from core.kpis.shape import Figures, KpiReport, SeriesPoint
from core.kpis.window import KpiWindow
from core.maintenance.windows import SUPPRESSED
from core.remediation.figures import SELF_HEALED
from workflows.types import IncidentStatus

UNCOUNTED_INCIDENTS = (IncidentStatus.pending.value, IncidentStatus.void.value)  # not surfaced


def _scope(column: Any, company_ids: Sequence[str] | None) -> list[ColumnElement[bool]]:
    return [] if company_ids is None else [column.in_(sorted(company_ids))]


def _flag(json_value: Any) -> ColumnElement[bool]:
    """A JSON boolean that may be missing, as SQL true or false."""
    return func.coalesce(json_value.as_boolean(), false())


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


class _Figures:
    """Figures per bucket start (and TOTAL) as the queries fill them in."""

    def __init__(self, window: KpiWindow) -> None:
        self.by_key: dict[Any, Figures] = {TOTAL: Figures()}
        self.by_key.update({start: SeriesPoint(bucket_start=start) for start in window.bucket_starts()})

    def at(self, key: Any) -> Figures:
        return self.by_key[key if key == TOTAL else as_utc(key)]

    def buckets(self) -> list[tuple[Any, Figures]]:
        return [(k, f) for k, f in self.by_key.items() if k != TOTAL]


async def kpi_report(
    session: AsyncSession, company_ids: Sequence[str] | None, window: KpiWindow, company_id: str | None
) -> KpiReport:
    figures = _Figures(window)
    await tune_for_aggregates(session)
    await _alerts(session, company_ids, window, figures)
    await _incidents(session, company_ids, window, figures)
    await _approval_waits(session, company_ids, window, figures)
    total = figures.by_key.pop(TOTAL)
    for point in [total, *figures.by_key.values()]:
        if point.alerts_received:
            # An incident opened just after its first alert's bucket ended can tip one bucket below zero.
            reduced = 1 - point.incidents_opened / point.alerts_received
            point.noise_reduction = round(100.0 * max(reduced, 0.0), 2)
    return KpiReport(
        company_id=company_id,
        from_=window.start,
        to=window.end,
        bucket=window.bucket,
        totals=total,
        series=[point for point in figures.by_key.values() if isinstance(point, SeriesPoint)],
    )


async def _alerts(
    session: AsyncSession, company_ids: Sequence[str] | None, window: KpiWindow, figures: _Figures
) -> None:
    dialect = dialect_of(session)
    received = col(Alert.received_at)
    in_range = [*_scope(col(Alert.company_id), company_ids), received >= window.start, received < window.end]
    attached = col(Alert.incident_id).is_not(None)
    bucket = bucket_start(dialect, received, window.bucket)
    counts = (
        select(
            bucket,
            func.count(),
            func.count().filter(col(Alert.disposition) == SUPPRESSED),
            func.count(col(Alert.incident_id)),
        )
        .where(*in_range)
        .group_by(bucket)
    )
    for key, received_n, suppressed, attached_n in await session.execute(counts):
        point = figures.at(key)
        point.alerts_received, point.alerts_suppressed = int(received_n), int(suppressed)
        point.alerts_duplicate = int(attached_n)  # less the firsts of their series, below
    # An attached alert is a duplicate unless it is the first of its series (fingerprint) in its incident:
    # the earliest of its (incident, series) pair in the range, with none of the pair before the range.
    # The planner answers "none before" from the few alerts before the range (ix_alert_company_received) or,
    # under a long history, with one ix_alert_incident_series probe per pair.
    pairs = (
        select(
            col(Alert.incident_id).label("incident_id"),
            col(Alert.fingerprint).label("fingerprint"),
            func.min(received).label("first_at"),
        )
        .where(*in_range, attached)
        .group_by(col(Alert.incident_id), col(Alert.fingerprint))
        .subquery()
    )
    before = (
        select(literal_column("1"))
        .where(
            *_scope(col(Alert.company_id), company_ids),
            col(Alert.incident_id) == pairs.c.incident_id,
            col(Alert.fingerprint) == pairs.c.fingerprint,
            received < window.start,
        )
        .exists()
    )
    first_bucket = bucket_start(dialect, pairs.c.first_at, window.bucket)
    firsts = select(first_bucket, func.count()).where(~before).group_by(first_bucket)
    for key, first_n in await session.execute(firsts):
        figures.at(key).alerts_duplicate -= int(first_n)
    total = figures.at(TOTAL)
    for _, point in figures.buckets():
        total.alerts_received += point.alerts_received
        total.alerts_suppressed += point.alerts_suppressed
        total.alerts_duplicate += point.alerts_duplicate


async def _incidents(
    session: AsyncSession, company_ids: Sequence[str] | None, window: KpiWindow, figures: _Figures
) -> None:
    dialect = dialect_of(session)
    created = col(Incident.created_at)
    opened = [
        *_scope(col(Incident.company_id), company_ids),
        created >= window.start,
        created < window.end,
        col(Incident.status).not_in(UNCOUNTED_INCIDENTS),
    ]
    resolved = col(Incident.status) == IncidentStatus.resolved.value
    # Nested, so only self-healed incidents pay for parsing their remediation (which holds step output).
    unattended = col(Incident.remediation)[("approval", "required_role")].as_string().is_(None)
    healed = case(
        (resolved & col(Incident.resolution).in_(SELF_HEALED), case((unattended, 1), else_=0)), else_=0
    )
    sla = col(Incident.sla)
    has_sla = sla[("response", "target_s")].as_string().is_not(None) | sla[
        ("resolution", "target_s")
    ].as_string().is_not(None)
    breached = _flag(sla[("response", "breached")]) | _flag(sla[("resolution", "breached")])
    bucket = bucket_start(dialect, created, window.bucket)
    counts = (
        select(
            bucket,
            func.count(),
            func.count().filter(resolved),
            func.coalesce(func.sum(healed), 0),
            func.count().filter(has_sla),
            func.count().filter(has_sla & ~breached),
        )
        .where(*opened)
        .group_by(bucket)
    )
    sums = [0, 0, 0, 0, 0]
    for key, *row in await session.execute(counts):
        values = [int(v) for v in row]
        _incident_counts(figures.at(key), *values)
        sums = [a + b for a, b in zip(sums, values, strict=True)]
    _incident_counts(figures.at(TOTAL), *sums)
    durations = {
        "mtta": seconds_between(dialect, col(Incident.acknowledged_at), created),
        "mttr": case((resolved, seconds_between(dialect, col(Incident.resolved_at), created))),
    }
    for key, found in (await percentiles_by(session, bucket, durations, opened)).items():
        figures.at(key).mtta_seconds, figures.at(key).mttr_seconds = found["mtta"], found["mttr"]


def _incident_counts(point: Figures, n: int, resolved: int, healed: int, with_sla: int, kept: int) -> None:
    point.incidents_opened = n
    point.self_healing = _percent(healed, resolved)
    point.sla_compliance = _percent(kept, with_sla)


async def _approval_waits(
    session: AsyncSession, company_ids: Sequence[str] | None, window: KpiWindow, figures: _Figures
) -> None:
    dialect = dialect_of(session)
    requested = col(RemediationRun.requested_at)
    approval = col(RemediationRun.approval)
    decided_by = approval["decided_by"].as_string()
    answered = [
        *_scope(col(RemediationRun.company_id), company_ids),
        requested >= window.start,
        requested < window.end,
        approval["required_role"].as_string().is_not(None),
        decided_by.is_not(None),
        decided_by != col(RemediationRun.requested_by),  # approved by asking: no wait
    ]
    wait = seconds_between(
        dialect,
        json_time(dialect, approval["decided_at"].as_string()),
        json_time(dialect, approval["requested_at"].as_string()),
    )
    bucket = bucket_start(dialect, requested, window.bucket)
    for key, found in (await percentiles_by(session, bucket, {"wait": wait}, answered)).items():
        figures.at(key).approval_wait_seconds = found["wait"]
