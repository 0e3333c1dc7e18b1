"""Who is on call for a company now: every schedule of it, read by core/oncall/rotation.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core.db.models import OncallSchedule, User
from core.oncall.members import eligible_users
from core.oncall.rotation import OnCall, Roster

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduleNow:
    schedule: OncallSchedule
    on_call: OnCall | None  # None: the stored schedule is unusable (logged)


def roster_of(schedule: OncallSchedule) -> Roster:
    return Roster.parse(timezone=schedule.timezone, layers=schedule.layers, overrides=schedule.overrides)


async def schedules_of(session: AsyncSession, company_id: str) -> list[OncallSchedule]:
    query = (
        select(OncallSchedule)
        .where(OncallSchedule.company_id == company_id)
        .order_by(col(OncallSchedule.name), col(OncallSchedule.id))
    )
    return list((await session.execute(query)).scalars())


def schedule_now(schedule: OncallSchedule, at: datetime) -> ScheduleNow:
    try:
        return ScheduleNow(schedule, roster_of(schedule).on_call(at))
    except (ValueError, OverflowError) as err:  # written before a rule changed, or at the calendar's edge
        log.error("on-call schedule %s is unusable: %s", schedule.id, err)
        return ScheduleNow(schedule, None)


async def on_call_now(session: AsyncSession, company_id: str, at: datetime) -> list[ScheduleNow]:
    """Each of the company's schedules, by name, with who it has on call at `at`."""
    return [schedule_now(s, at) for s in await schedules_of(session, company_id)]


async def on_call_user_ids(session: AsyncSession, company_id: str, at: datetime) -> list[str]:
    """Who is on call for the company at `at`, over all its schedules (by schedule name), once each.

    Users since disabled or removed from the company are left out: they cannot take an incident."""
    return list(await on_call_users(session, company_id, at))


async def on_call_users(session: AsyncSession, company_id: str, at: datetime) -> dict[str, User]:
    """`on_call_user_ids` with each user's row, in the same order (one query for the users)."""
    named = [n.on_call.user_id for n in await on_call_now(session, company_id, at) if n.on_call]
    ordered = list(dict.fromkeys(u for u in named if u is not None))
    eligible = await eligible_users(session, company_id, ordered)
    return {u: eligible[u] for u in ordered if u in eligible}
