"""Failed sign-ins per account and per IP, with exponential back-off; kept in the database so every API
process sees the same counts. Adds to the caller's transaction."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.db.models import LoginThrottle, table_of
from core.db.upsert import dialect_of, insert_for

# An office behind one NAT address shares its IP key, so an address gets more free failures than an account.
ACCOUNT_FREE_FAILURES = 5
IP_FREE_FAILURES = 20
MAX_BLOCK = timedelta(minutes=15)
# A key that has seen no failure for this long starts counting from zero again.
FORGET_AFTER = timedelta(hours=1)
_ACCOUNT_PREFIX = "email:"


def account_key(email: str) -> str:
    return _ACCOUNT_PREFIX + email.strip().lower()


def ip_key(ip: str) -> str:
    return f"ip:{ip}"


def back_off(failures: int, free_failures: int, base_s: float) -> timedelta | None:
    """How long a key is blocked after its `failures`-th failure: none before `free_failures`, then
    base, 2 * base, 4 * base, ... capped at MAX_BLOCK."""
    if failures < free_failures:
        return None
    exponent = min(failures - free_failures, 30)
    return min(timedelta(seconds=base_s * 2**exponent), MAX_BLOCK)


async def retry_after_s(session: AsyncSession, keys: list[str], now: datetime) -> int:
    """Whole seconds (≥ 1) until every key in `keys` may try again; 0 if none is blocked."""
    blocked_until = (
        await session.execute(
            select(func.max(col(LoginThrottle.blocked_until))).where(
                col(LoginThrottle.key).in_(keys), col(LoginThrottle.blocked_until) > now
            )
        )
    ).scalar_one_or_none()
    if blocked_until is None:
        return 0
    return max(1, math.ceil((blocked_until - now).total_seconds()))


async def record_failure(session: AsyncSession, keys: list[str], now: datetime, base_s: float) -> None:
    table = table_of(LoginThrottle)
    for key in keys:
        # One upsert per key, so concurrent failures on several API processes all count.
        stmt = insert_for(dialect_of(session), table).values(key=key, failures=1, last_failure_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "failures": case(
                    (table.c.last_failure_at < now - FORGET_AFTER, 1), else_=table.c.failures + 1
                ),
                "last_failure_at": now,
            },
        ).returning(table.c.failures)
        failures = int((await session.execute(stmt)).scalar_one())
        free = ACCOUNT_FREE_FAILURES if key.startswith(_ACCOUNT_PREFIX) else IP_FREE_FAILURES
        block = back_off(failures, free, base_s)
        if block is not None:
            await session.execute(
                update(LoginThrottle).where(col(LoginThrottle.key) == key).values(blocked_until=now + block)
            )


async def forget(session: AsyncSession, key: str) -> None:
    await session.execute(delete(LoginThrottle).where(col(LoginThrottle.key) == key))
