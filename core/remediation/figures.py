"""How self-healing fares, computed from stored rows only: incidents (their resolution), and runbook runs
(`remediation_run`, with each run's approval as the incident workflow recorded it)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.db.models import Incident, RemediationRun, Runbook
from core.runbooks.history import FAILED, FINISHED
from workflows.incident.remediation import ALREADY_HEALTHY, AUTO_REMEDIATED, NOT_NEEDED
from workflows.remediation.types import RemediationStatus
from workflows.types import IncidentStatus

SELF_HEALED = (AUTO_REMEDIATED, ALREADY_HEALTHY)
DEFAULT_RANGE = timedelta(days=30)


class InvalidRange(ValueError):
    """`since` is not before `until`, or a time is outside what a datetime holds once in UTC."""


class ApprovalFigures(BaseModel):
    """Runs that waited for a human, by what became of the wait."""

    requested: int = 0
    approved: int = 0
    rejected: int = 0
    timed_out: int = Field(0, description="no answer within the approval timeout: escalated")
    withdrawn: int = Field(0, description="the incident closed first, so nobody needed to answer")
    pending: int = Field(0, description="still awaiting approval")
    median_wait_s: float | None = Field(
        None,
        description="from request to an approver's answer; a requester who approves by asking waits 0 s "
        "and is left out",
    )
    p90_wait_s: float | None = None


class RunbookFigures(BaseModel):
    runbook_id: str
    name: str | None = Field(None, description="null when the runbook was deleted since")
    demo: bool = False
    runs: int = Field(description="finished runs: succeeded, failed or rolled back")
    succeeded: int
    failed: int = Field(description="failed or rolled back")
    success_rate: float


class RemediationFigures(BaseModel):
    since: datetime
    until: datetime
    incidents: int = Field(
        description="incidents opened in the range (pending ones not surfaced yet left out)"
    )
    self_healed: int = Field(
        description="resolved by a runbook (resolution auto_remediated, or already_healthy: its pre-check "
        "found nothing to fix)"
    )
    self_healed_after_approval: int = Field(
        description="of those, the ones whose runbook waited for an approver; the rest healed unattended"
    )
    self_healing_rate: float | None = Field(description="self_healed / incidents; null without incidents")
    approvals: ApprovalFigures = Field(description="of runs requested in the range")
    runbooks: list[RunbookFigures] = Field(description="runs requested in the range, most runs first")


def _utc(moment: datetime) -> datetime:
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise InvalidRange(f"{moment.isoformat()} is out of range in UTC") from None


def nearest_rank(values: Sequence[float], fraction: float) -> float | None:
    """The smallest value with at least `fraction` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)), 1) - 1]


async def remediation_figures(
    session: AsyncSession,
    company_ids: Sequence[str] | None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> RemediationFigures:
    """For these companies (None: every company) over [since, until): incidents by when they opened, runs
    by when they were requested. `until` defaults to now, `since` to 30 days before it; naive times are
    UTC."""
    until = _utc(until) if until else datetime.now(UTC)
    since = (
        _utc(since) if since else max(until, datetime.min.replace(tzinfo=UTC) + DEFAULT_RANGE) - DEFAULT_RANGE
    )
    if since >= until:
        raise InvalidRange(f"since ({since.isoformat()}) must be before until ({until.isoformat()})")
    incidents, healed, after_approval = await _incident_counts(session, company_ids, since, until)
    return RemediationFigures(
        since=since,
        until=until,
        incidents=incidents,
        self_healed=healed,
        self_healed_after_approval=after_approval,
        self_healing_rate=round(healed / incidents, 4) if incidents else None,
        approvals=await _approvals(session, company_ids, since, until),
        runbooks=await _runbooks(session, company_ids, since, until),
    )


def _in_scope(query: Any, company_column: Any, company_ids: Sequence[str] | None) -> Any:
    return query if company_ids is None else query.where(company_column.in_(sorted(company_ids)))


async def _incident_counts(
    session: AsyncSession, company_ids: Sequence[str] | None, since: datetime, until: datetime
) -> tuple[int, int, int]:
    """Incidents, those a runbook resolved, and of those the ones whose runbook an approver let run."""
    opened = (
        col(Incident.created_at) >= since,
        col(Incident.created_at) < until,
        col(Incident.status) != IncidentStatus.pending.value,
    )
    total = await session.execute(
        _in_scope(select(func.count()).where(*opened), Incident.company_id, company_ids)
    )
    healed = select(col(Incident.remediation)).where(*opened, col(Incident.resolution).in_(SELF_HEALED))
    runs = (await session.execute(_in_scope(healed, Incident.company_id, company_ids))).scalars().all()
    approved = sum(((run or {}).get("approval") or {}).get("required_role") is not None for run in runs)
    return int(total.scalar_one()), len(runs), approved


async def _approvals(
    session: AsyncSession, company_ids: Sequence[str] | None, since: datetime, until: datetime
) -> ApprovalFigures:
    query = select(
        col(RemediationRun.status), col(RemediationRun.requested_by), col(RemediationRun.approval)
    ).where(col(RemediationRun.requested_at) >= since, col(RemediationRun.requested_at) < until)
    rows = (await session.execute(_in_scope(query, RemediationRun.company_id, company_ids))).all()
    figures = ApprovalFigures()
    waits: list[float] = []
    for status, requested_by, approval in rows:
        approval = approval or {}
        if approval.get("required_role") is None:
            continue  # ran without anyone approving
        figures.requested += 1
        if approval.get("approved") is True:
            figures.approved += 1
        elif approval.get("approved") is False:
            if approval.get("comment") == NOT_NEEDED and approval.get("decided_by") is None:
                figures.withdrawn += 1
                continue
            figures.rejected += 1
        elif status == RemediationStatus.escalated.value:
            figures.timed_out += 1
            continue
        else:
            figures.pending += 1
            continue
        wait = _wait_s(approval)
        if wait is not None and approval.get("decided_by") != requested_by:
            waits.append(wait)
    if waits:
        figures.median_wait_s = round(statistics.median(waits), 1)
        figures.p90_wait_s = round(nearest_rank(waits, 0.9) or 0.0, 1)
    return figures


def _wait_s(approval: dict[str, Any]) -> float | None:
    requested, decided = approval.get("requested_at"), approval.get("decided_at")
    if not requested or not decided:
        return None
    return (datetime.fromisoformat(decided) - datetime.fromisoformat(requested)).total_seconds()


async def _runbooks(
    session: AsyncSession, company_ids: Sequence[str] | None, since: datetime, until: datetime
) -> list[RunbookFigures]:
    succeeded = col(RemediationRun.status) == RemediationStatus.succeeded.value
    failed = col(RemediationRun.status).in_([s.value for s in FAILED])
    query = (
        select(
            col(RemediationRun.runbook_id),
            col(Runbook.name),
            col(Runbook.demo),
            func.count(),
            func.sum(case((succeeded, 1), else_=0)),
            func.sum(case((failed, 1), else_=0)),
        )
        .outerjoin(Runbook, col(Runbook.id) == col(RemediationRun.runbook_id))
        .where(
            col(RemediationRun.requested_at) >= since,
            col(RemediationRun.requested_at) < until,
            col(RemediationRun.status).in_([s.value for s in FINISHED]),
        )
        .group_by(col(RemediationRun.runbook_id), col(Runbook.name), col(Runbook.demo))
    )
    rows = (await session.execute(_in_scope(query, RemediationRun.company_id, company_ids))).all()
    figures = [
        RunbookFigures(
            runbook_id=runbook_id,
            name=name,
            demo=bool(demo),
            runs=runs,
            succeeded=int(ok),
            failed=int(bad),
            success_rate=round(int(ok) / runs, 4),
        )
        for runbook_id, name, demo, runs, ok, bad in rows
    ]
    return sorted(figures, key=lambda f: (-f.runs, f.name or "", f.runbook_id))
