"""The sign-in throttle's reservations against real databases: concurrent attempts never get more
password checks than the limit, on PostgreSQL and on SQLite."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.accounts import login_throttle
from core.accounts.login_throttle import FreeFailures


async def test_concurrent_attempts_reserve_at_most_the_free_failures(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    keys = login_throttle.keys_for(
        f"victim-{uuid.uuid4().hex[:8]}@example.com", "198.51.100.7", FreeFailures()
    )

    async def attempt() -> bool:
        async with sessions() as session, session.begin():
            reservation = await login_throttle.reserve(session, keys, datetime.now(UTC))
        if reservation is None:
            return False
        await asyncio.sleep(0.05)  # the password check, during which the others arrive
        async with sessions() as session, session.begin():
            await login_throttle.record_failure(session, reservation, datetime.now(UTC), 60.0)
        return True

    checked = await asyncio.gather(*(attempt() for _ in range(40)))
    assert sum(checked) == 5
    async with sessions() as session:
        assert await login_throttle.retry_after_s(session, keys, datetime.now(UTC)) > 50


async def test_a_refused_attempt_leaves_the_other_keys_uncounted(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A blocked source must not eat into the account's or the pair's budget."""
    limits = FreeFailures(pair=5, account=5, source=1)
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        spray = await login_throttle.reserve(
            session, login_throttle.keys_for("x@example.com", "n1", limits), now
        )
        assert spray is not None
        await login_throttle.record_failure(session, spray, now, 60.0)
    for _ in range(10):
        async with sessions() as session, session.begin():
            keys = login_throttle.keys_for(email, "n1", limits)
            assert await login_throttle.reserve(session, keys, now) is None
    async with sessions() as session, session.begin():
        from_elsewhere = await login_throttle.reserve(
            session, login_throttle.keys_for(email, "n2", limits), now
        )
    assert from_elsewhere is not None
    assert [failures for _, failures in from_elsewhere.held] == [1, 1, 1]
