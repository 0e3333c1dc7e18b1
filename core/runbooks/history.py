"""How a runbook has fared: its finished runs, from `remediation_run`, as one actor may see them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.accounts.actor import Actor
from core.db.models import RemediationRun
from workflows.remediation.types import RemediationStatus

FINISHED = (RemediationStatus.succeeded, RemediationStatus.failed, RemediationStatus.rolled_back)
FAILED = (RemediationStatus.failed, RemediationStatus.rolled_back)


class RunbookHistory(BaseModel):
    """Finished runs only: one awaiting approval, rejected or still running has no outcome yet."""

    runs: int = 0
    succeeded: int = 0
    failed: int = Field(default=0, description="failed or rolled back")
    success_rate: float | None = Field(default=None, description="succeeded / runs; null with no runs")
    last_run_at: datetime | None = Field(default=None, description="when the latest finished run started")


async def histories(
    session: AsyncSession, actor: Actor, runbook_ids: Iterable[str]
) -> dict[str, RunbookHistory]:
    """By runbook id, in one grouped query; runbooks never run are left out. Counts only runs of the
    actor's companies: a global runbook's record at other clients is theirs to know."""
    ids = sorted(set(runbook_ids))
    if not ids:
        return {}
    succeeded = col(RemediationRun.status) == RemediationStatus.succeeded.value
    failed = col(RemediationRun.status).in_([s.value for s in FAILED])
    query = (
        select(
            col(RemediationRun.runbook_id),
            func.count(),
            func.sum(case((succeeded, 1), else_=0)),
            func.sum(case((failed, 1), else_=0)),
            func.max(func.coalesce(col(RemediationRun.started_at), col(RemediationRun.requested_at))),
        )
        .where(
            col(RemediationRun.runbook_id).in_(ids),
            col(RemediationRun.status).in_([s.value for s in FINISHED]),
        )
        .group_by(col(RemediationRun.runbook_id))
    )
    if not actor.sees_every_company:
        query = query.where(col(RemediationRun.company_id).in_(sorted(actor.company_ids)))
    rows = (await session.execute(query)).all()
    return {
        runbook_id: RunbookHistory(
            runs=runs,
            succeeded=int(ok),
            failed=int(bad),
            success_rate=round(int(ok) / runs, 4),
            last_run_at=last,
        )
        for runbook_id, runs, ok, bad, last in rows
    }
