"""Failed sign-ins, with exponential back-off, kept in the database so every API process sees the same
counts. Each attempt is counted under three keys:

- the pair (account, source address): a guesser is stopped after a few tries, and only there;
- the account, from anywhere, with a higher limit: guessing one account from many addresses;
- the source address, for any account, with a higher limit still: spraying many accounts from one
  address (an office behind one NAT address shares it, hence the margin).

So an attacker somewhere else cannot lock a technician out of their own account from their own place,
unless they bring many addresses of their own.

An attempt is counted *before* its password is checked, in one atomic statement per key that also
refuses it while the key is backing off. Concurrent attempts can therefore never check more passwords
than the limit: the attempt that reaches it blocks the key at once (a short lease), and its outcome
then sets the real back-off (failure) or lifts it (success).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.db.models import LoginThrottle, table_of
from core.db.upsert import dialect_of, insert_for

MAX_BLOCK = timedelta(minutes=15)
# A key that has seen no failure for this long starts counting from zero again.
FORGET_AFTER = timedelta(hours=1)
# How long the attempt that reaches a limit keeps the key blocked while its password is checked; its
# outcome replaces the lease, which only matters if the process dies in between.
DECISION_LEASE = timedelta(minutes=1)


@dataclass(frozen=True)
class ThrottleKey:
    key: str
    free_failures: int
    # A success proves the password: the pair and account counts start again; the source's does not,
    # since one person signing in says nothing about others guessing from the same address.
    reset_on_success: bool


@dataclass(frozen=True)
class FreeFailures:
    """Failures each key takes before it backs off (AW_LOGIN_*_FREE_FAILURES)."""

    pair: int = 5
    account: int = 30
    source: int = 100


def keys_for(email: str, source: str, limits: FreeFailures) -> list[ThrottleKey]:
    """The keys of one attempt, narrowest first (the order in which they are reserved)."""
    account = email.strip().lower()
    return [
        ThrottleKey(f"pair:{account}|{source}", limits.pair, reset_on_success=True),
        ThrottleKey(f"email:{account}", limits.account, reset_on_success=True),
        ThrottleKey(f"ip:{source}", limits.source, reset_on_success=False),
    ]


@dataclass
class Reservation:
    """An attempt counted under each key: `(key, failures including this attempt)`."""

    held: list[tuple[ThrottleKey, int]] = field(default_factory=list)


def back_off(failures: int, free_failures: int, base_s: float) -> timedelta | None:
    """How long a key is blocked after its `failures`-th failure: none before `free_failures`, then
    base, 2 * base, 4 * base, ... capped at MAX_BLOCK."""
    if failures < free_failures:
        return None
    exponent = min(failures - free_failures, 30)
    return min(timedelta(seconds=base_s * 2**exponent), MAX_BLOCK)


async def reserve(session: AsyncSession, keys: list[ThrottleKey], now: datetime) -> Reservation | None:
    """Counts an attempt under every key, or under none and returns None when any key is backing off.

    Commit right away, before checking the password, so that concurrent attempts see the count."""
    reservation = Reservation()
    for key in keys:
        failures = await _reserve_one(session, key, now)
        if failures is None:
            await release(session, reservation)
            return None
        reservation.held.append((key, failures))
    return reservation


async def _reserve_one(session: AsyncSession, key: ThrottleKey, now: datetime) -> int | None:
    table = table_of(LoginThrottle)
    lease = now + DECISION_LEASE
    stale = table.c.last_failure_at < now - FORGET_AFTER
    failures = case((stale, 1), else_=table.c.failures + 1)
    stmt = insert_for(dialect_of(session), table).values(
        key=key.key,
        failures=1,
        last_failure_at=now,
        blocked_until=lease if key.free_failures <= 1 else None,
    )
    # The WHERE makes this one statement a test-and-count: a blocked key is neither counted nor
    # returned, and a concurrent attempt waits for this row and sees the new count.
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "failures": failures,
            "last_failure_at": now,
            "blocked_until": case(
                (failures >= key.free_failures, literal(lease, table.c.blocked_until.type)),
                (stale, None),
                else_=table.c.blocked_until,
            ),
        },
        where=or_(table.c.blocked_until.is_(None), table.c.blocked_until <= now),
    ).returning(table.c.failures)
    counted = (await session.execute(stmt)).scalar_one_or_none()
    return None if counted is None else int(counted)


async def release(session: AsyncSession, reservation: Reservation) -> None:
    """Takes back an attempt whose password was never checked."""
    for key, failures in reservation.held:
        await _uncount(session, key, failures)
    reservation.held.clear()


async def _uncount(session: AsyncSession, key: ThrottleKey, failures: int) -> None:
    # PostgreSQL's two-argument maximum is GREATEST; SQLite's is MAX.
    larger = func.greatest if dialect_of(session) == "postgresql" else func.max
    values: dict[str, object] = {"failures": larger(col(LoginThrottle.failures) - 1, 0)}
    if failures >= key.free_failures:
        values["blocked_until"] = None  # the lease this attempt took
    await session.execute(update(LoginThrottle).where(col(LoginThrottle.key) == key.key).values(**values))


async def record_failure(
    session: AsyncSession, reservation: Reservation, now: datetime, base_s: float
) -> None:
    """The password was wrong: a key whose count reached its limit backs off (replacing the lease)."""
    for key, failures in reservation.held:
        block = back_off(failures, key.free_failures, base_s)
        if block is not None:
            await session.execute(
                update(LoginThrottle)
                .where(col(LoginThrottle.key) == key.key)
                .values(blocked_until=now + block)
            )


async def record_success(session: AsyncSession, reservation: Reservation) -> None:
    for key, failures in reservation.held:
        if key.reset_on_success:
            await session.execute(delete(LoginThrottle).where(col(LoginThrottle.key) == key.key))
        else:
            await _uncount(session, key, failures)


async def retry_after_s(session: AsyncSession, keys: list[ThrottleKey], now: datetime) -> int:
    """Whole seconds (≥ 1) until every key in `keys` may try again; 0 if none is blocked."""
    blocked_until = (
        await session.execute(
            select(func.max(col(LoginThrottle.blocked_until))).where(
                col(LoginThrottle.key).in_([k.key for k in keys]), col(LoginThrottle.blocked_until) > now
            )
        )
    ).scalar_one_or_none()
    if blocked_until is None:
        return 0
    return max(1, math.ceil((blocked_until - now).total_seconds()))
