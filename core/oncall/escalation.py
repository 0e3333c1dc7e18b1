"""Escalation chains: whom an incident nobody answers reaches, level by level (docs/oncall.md).

Each level notifies who is on call for the company now (`oncall`), named users (`user_ids`) and every
active user of some roles (`roles`: the company's company_admins or technicians; msp_admin: the MSP's
administrators), waits `wait_minutes` for an answer, then the next level follows. With `reassign`, the
incident goes to the level's first user: the first on call, else the first named, else the first by role.

A company without a chain escalates along DEFAULT_LEVELS. A level that reaches nobody (nobody on call, say)
is passed over for the next one; the last level answers even when it reaches nobody. Asking for a level
past the last answers the last level again, so the workflow can keep reminding it every `wait_minutes`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from core.accounts.roles import Role
from core.db.models import EscalationChain
from core.oncall.members import eligible_users, users_with_role
from core.oncall.now import on_call_user_ids
from workflows.assignment.types import EscalationStep

log = logging.getLogger(__name__)

MAX_LEVELS = 10
MAX_WAIT_MINUTES = 7 * 24 * 60
MAX_NAMED_USERS = 50


@dataclass(frozen=True)
class Level:
    number: int
    wait_minutes: int
    oncall: bool = False
    user_ids: tuple[str, ...] = ()
    roles: tuple[Role, ...] = ()
    reassign: bool = False

    @classmethod
    def parse(cls, stored: Mapping[str, Any]) -> Level:
        notify = stored.get("notify") or {}
        number, wait = stored.get("level"), stored.get("wait_minutes")
        if not isinstance(number, int) or not isinstance(wait, int) or not 0 <= wait <= MAX_WAIT_MINUTES:
            raise ValueError(f"level {number}: needs a number and wait_minutes from 0 to {MAX_WAIT_MINUTES}")
        level = cls(
            number=number,
            wait_minutes=wait,
            oncall=bool(notify.get("oncall", False)),
            user_ids=tuple(dict.fromkeys(str(u) for u in notify.get("user_ids") or [])),
            roles=tuple(dict.fromkeys(Role(r) for r in notify.get("roles") or [])),
            reassign=bool(stored.get("reassign", False)),
        )
        if not (level.oncall or level.user_ids or level.roles):
            raise ValueError(f"level {number} notifies nobody: set oncall, user_ids or roles")
        if len(level.user_ids) > MAX_NAMED_USERS:
            raise ValueError(f"level {number} names more than {MAX_NAMED_USERS} users")
        return level

    def stored(self) -> dict[str, Any]:
        return {
            "level": self.number,
            "notify": {"oncall": self.oncall, "user_ids": list(self.user_ids), "roles": list(self.roles)},
            "wait_minutes": self.wait_minutes,
            "reassign": self.reassign,
        }


def parse_levels(stored: Iterable[Mapping[str, Any]]) -> tuple[Level, ...]:
    """Levels numbered 1, 2, … in order; ValueError with the reason otherwise."""
    levels = tuple(Level.parse(level) for level in stored)
    if not 1 <= len(levels) <= MAX_LEVELS:
        raise ValueError(f"a chain has from 1 to {MAX_LEVELS} levels")
    numbers = [level.number for level in levels]
    if numbers != list(range(1, len(levels) + 1)):
        raise ValueError(f"levels must be numbered 1, 2, … in order; got {numbers}")
    return levels


# L1: whoever is on call, who takes the incident over; L2: the company's administrators; L3: the MSP's.
DEFAULT_LEVELS = (
    Level(number=1, oncall=True, wait_minutes=15, reassign=True),
    Level(number=2, roles=(Role.company_admin,), wait_minutes=30),
    Level(number=3, roles=(Role.msp_admin,), wait_minutes=60),
)


async def levels_of(session: AsyncSession, company_id: str) -> tuple[Level, ...]:
    """The company's chain, or DEFAULT_LEVELS without one (or with one that became unusable, logged)."""
    query = select(EscalationChain).where(EscalationChain.company_id == company_id)
    chain = (await session.execute(query)).scalar_one_or_none()
    if chain is None:
        return DEFAULT_LEVELS
    try:
        return parse_levels(chain.levels)
    except ValueError as err:
        log.error("escalation chain %s is unusable, escalating along the default: %s", chain.id, err)
        return DEFAULT_LEVELS


async def escalation_step(session: AsyncSession, company_id: str, level: int, at: datetime) -> EscalationStep:
    """Level `level` of the company's chain at `at`: whom to notify, how long to wait, whom to reassign to."""
    if level < 1:
        raise ValueError(f"escalation levels start at 1, not {level}")
    levels = await levels_of(session, company_id)
    for candidate in levels[min(level, len(levels)) - 1 :]:
        user_ids = await notified(session, company_id, candidate, at)
        last = candidate is levels[-1]
        if user_ids or last:
            return EscalationStep(
                level=candidate.number,
                notify_user_ids=user_ids,
                wait_minutes=candidate.wait_minutes,
                reassign_to=user_ids[0] if candidate.reassign and user_ids else None,
                last_level=last,
            )
    raise AssertionError("the last level always answers")


async def notified(session: AsyncSession, company_id: str, level: Level, at: datetime) -> list[str]:
    """Whom `level` reaches at `at`: on call first, then named users, then by role; each once."""
    found: list[str] = []
    if level.oncall:
        found += await on_call_user_ids(session, company_id, at)
    named = await eligible_users(session, company_id, level.user_ids)
    found += [u for u in level.user_ids if u in named]
    for role in level.roles:
        found += [u.id for u in await users_with_role(session, company_id, role)]
    return list(dict.fromkeys(found))
