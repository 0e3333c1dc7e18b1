"""On-call schedules and escalation chains changed on an actor's behalf: the writes and their audit.

Everyone a schedule or chain names must be able to serve the company (core/oncall/members.py), else
OncallInvalid; a company has one escalation chain at most, else ChainExists.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from core.accounts.actor import Actor
from core.audit import changed_fields, record
from core.db.models import EscalationChain, OncallSchedule, utcnow
from core.errors import ChainExists
from core.oncall.escalation import parse_levels
from core.oncall.members import check_members
from core.oncall.rotation import Roster


@dataclass(frozen=True)
class ScheduleSpec:
    """Every field of a schedule that its owner sets, as stored (the API has validated them)."""

    name: str
    timezone: str
    layers: list[dict[str, Any]]
    overrides: list[dict[str, Any]]


@dataclass(frozen=True)
class ChainSpec:
    name: str
    levels: list[dict[str, Any]]


Owned = OncallSchedule | EscalationChain
Spec = ScheduleSpec | ChainSpec


async def create_schedule(
    session: AsyncSession, actor: Actor, company_id: str, spec: ScheduleSpec
) -> OncallSchedule:
    await _check_schedule(session, company_id, spec)
    schedule = OncallSchedule(company_id=company_id, created_by=actor.user_id, **asdict(spec))
    return await _created(session, actor, schedule, spec)


async def replace_schedule(
    session: AsyncSession, actor: Actor, schedule: OncallSchedule, spec: ScheduleSpec
) -> OncallSchedule:
    """`schedule` with every field of `spec`; its company stays. Audited if anything changed."""
    await _check_schedule(session, schedule.company_id, spec)
    return await _replaced(session, actor, schedule, spec)


async def create_chain(
    session: AsyncSession, actor: Actor, company_id: str, spec: ChainSpec
) -> EscalationChain:
    await _check_chain(session, company_id, spec)
    taken = select(EscalationChain.id).where(EscalationChain.company_id == company_id)
    if (await session.execute(taken)).first() is not None:
        raise _chain_exists(company_id)
    chain = EscalationChain(company_id=company_id, created_by=actor.user_id, **asdict(spec))
    try:
        return await _created(session, actor, chain, spec)
    except IntegrityError:  # another request created it between our check and this insert
        await session.rollback()
        raise _chain_exists(company_id) from None


async def replace_chain(
    session: AsyncSession, actor: Actor, chain: EscalationChain, spec: ChainSpec
) -> EscalationChain:
    await _check_chain(session, chain.company_id, spec)
    return await _replaced(session, actor, chain, spec)


async def delete(session: AsyncSession, actor: Actor, owned: Owned) -> None:
    """A company whose chain is deleted escalates along the default chain again."""
    await _audit(session, actor, "delete", owned, before=_audited(owned, _spec_fields(owned)))
    await session.delete(owned)
    await session.commit()


async def _check_schedule(session: AsyncSession, company_id: str, spec: ScheduleSpec) -> None:
    roster = Roster.parse(timezone=spec.timezone, layers=spec.layers, overrides=spec.overrides)
    await check_members(session, company_id, roster.participants())


async def _check_chain(session: AsyncSession, company_id: str, spec: ChainSpec) -> None:
    levels = parse_levels(spec.levels)
    await check_members(session, company_id, [u for level in levels for u in level.user_ids])


def _chain_exists(company_id: str) -> ChainExists:
    return ChainExists(f"company {company_id} has an escalation chain already: replace it with PUT")


async def _created(session: AsyncSession, actor: Actor, owned: Owned, spec: Spec) -> Any:
    session.add(owned)
    await session.flush()
    await _audit(session, actor, "create", owned, after=_audited(owned, _names(spec)))
    await session.commit()
    return owned


async def _replaced(session: AsyncSession, actor: Actor, owned: Owned, spec: Spec) -> Any:
    names = _names(spec)
    before = _audited(owned, names)
    for field, value in asdict(spec).items():
        setattr(owned, field, value)
    was, now = changed_fields(before, _audited(owned, names))
    if now:
        owned.updated_at = utcnow()
        await _audit(session, actor, "update", owned, before=was, after=now)
    await session.commit()
    return owned


def _names(spec: Spec) -> tuple[str, ...]:
    return tuple(f.name for f in fields(spec))


def _spec_fields(owned: Owned) -> tuple[str, ...]:
    return tuple(f.name for f in fields(ScheduleSpec if isinstance(owned, OncallSchedule) else ChainSpec))


def _audited(owned: Owned, names: tuple[str, ...]) -> dict[str, Any]:
    values = {f: getattr(owned, f) for f in names}
    return {f: v.isoformat() if isinstance(v, datetime) else v for f, v in values.items()}


async def _audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    owned: Owned,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    kind = "oncall_schedule" if isinstance(owned, OncallSchedule) else "escalation_chain"
    await record(
        session,
        actor=actor.user_id,
        action=f"{kind}.{action}",
        company_id=owned.company_id,
        object_type=kind,
        object_id=owned.id,
        before=before,
        after=after,
    )
