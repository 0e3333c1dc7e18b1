"""Who a new incident is assigned to: a technician on call whose category matches the incident's.

On-call users come from every schedule of the company (core/oncall/now.py). Among them, those whose
category equals the incident's (case-insensitive) are chosen from; when none does, or the incident has no
category, anyone on call is. Several candidates are narrowed by the company's strategy:

- round_robin: whoever was assigned an incident of this company longest ago (never, first). This rotates
  through the candidates whatever the set of them is at each moment; the incident table's `assigned_to`
  is the memory, so no other state is kept.
- least_loaded: whoever has the fewest open incidents (new, in progress, escalated) assigned, in any company
  (a technician's load is all of it); ties go round robin.

Nobody on call: no assignee, with the reason.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core.db.models import Company, Incident
from core.oncall.now import on_call_users
from workflows.assignment.types import Assignment, AssignmentStrategy
from workflows.policy import CompanyPolicy
from workflows.types import IncidentStatus

LOADING_STATUSES = (IncidentStatus.new, IncidentStatus.in_progress, IncidentStatus.escalated)


async def choose_assignee(
    session: AsyncSession, company_id: str, category: str | None, at: datetime, strategy: AssignmentStrategy
) -> Assignment:
    users = await on_call_users(session, company_id, at)
    on_call = list(users)
    if not on_call:
        return Assignment(user_id=None, reason="nobody is on call for the company")
    wanted = (category or "").strip().casefold()
    matching = [u for u in on_call if wanted and (users[u].category or "").strip().casefold() == wanted]
    if matching:
        pool, why = matching, f"on call for category {category}"
    elif wanted:
        pool, why = on_call, f"on call (nobody on call is in category {category})"
    else:
        pool, why = on_call, "on call (the incident has no category)"
    if len(pool) == 1:
        return Assignment(user_id=pool[0], reason=why)
    if strategy == "least_loaded":
        chosen = await _least_loaded(session, company_id, pool)
        return Assignment(user_id=chosen, reason=f"{why}; fewest open incidents of {len(pool)}")
    chosen = await _round_robin(session, company_id, pool)
    return Assignment(user_id=chosen, reason=f"{why}; round robin among {len(pool)}")


async def choose_for_company(
    session: AsyncSession, company_id: str, category: str | None, at: datetime
) -> Assignment:
    """`choose_assignee` with the strategy of the company's policy."""
    return await choose_assignee(session, company_id, category, at, await strategy_of(session, company_id))


async def strategy_of(session: AsyncSession, company_id: str) -> AssignmentStrategy:
    company = await session.get(Company, company_id)
    try:
        return CompanyPolicy.model_validate(company.policy if company else {}).assignment_strategy
    except ValidationError:
        return CompanyPolicy().assignment_strategy


async def _round_robin(session: AsyncSession, company_id: str, pool: list[str]) -> str:
    last = await _last_assigned(session, company_id, pool)
    return min(pool, key=lambda u: _round_robin_key(pool, last, u))


def _round_robin_key(pool: list[str], last: dict[str, datetime], user_id: str) -> tuple[int, float, int]:
    at = last.get(user_id)
    return (0, 0.0, pool.index(user_id)) if at is None else (1, at.timestamp(), pool.index(user_id))


async def _last_assigned(session: AsyncSession, company_id: str, pool: list[str]) -> dict[str, datetime]:
    query = (
        select(Incident.assigned_to, func.max(Incident.created_at))
        .where(Incident.company_id == company_id, col(Incident.assigned_to).in_(pool))
        .group_by(col(Incident.assigned_to))
    )
    return {user_id: at for user_id, at in (await session.execute(query)).all() if user_id and at}


async def _least_loaded(session: AsyncSession, company_id: str, pool: list[str]) -> str:
    query = (
        select(Incident.assigned_to, func.count())
        .where(
            col(Incident.assigned_to).in_(pool),
            col(Incident.status).in_([s.value for s in LOADING_STATUSES]),
        )
        .group_by(col(Incident.assigned_to))
    )
    load = {user_id: int(n) for user_id, n in (await session.execute(query)).all() if user_id}
    last = await _last_assigned(session, company_id, pool)
    return min(pool, key=lambda u: (load.get(u, 0), _round_robin_key(pool, last, u)))
