"""One per API process: reads new outbox rows once and fans them out to every WebSocket's bounded queue.

On PostgreSQL a LISTEN connection wakes it when an event-writing transaction commits (core/events/outbox.py
sends the NOTIFY); the outbox row is the source of truth, so a missed notification only delays delivery
until the next fallback poll. On SQLite it tails the table every `poll_interval_s`. Either way it runs
only while someone listens. Because outbox ids become visible in increasing order, "id > last" misses
nothing. The same loop checks, once per `session_check_s` for all listeners at once, whether their
sign-in sessions were revoked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy import or_
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from core.db.models import AuthSession, User
from core.events.outbox import NOTIFY_CHANNEL, events_after, last_event_id
from core.events.types import EventPublic

log = logging.getLogger(__name__)

EventFilter = Callable[[EventPublic], bool]


@dataclass(eq=False)
class Subscription:
    """A listener's queue of events (and of its own control messages, so one consumer sees both in
    order). When it is full the listener is too far behind: `overflowed` is set and nothing more is
    queued; the hub never waits for a listener."""

    accepts: EventFilter
    session_id: str | None
    queue: asyncio.Queue[EventPublic | dict[str, Any]]
    overflowed: asyncio.Event = field(default_factory=asyncio.Event)
    revoked: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, item: EventPublic | dict[str, Any]) -> None:
        if self.overflowed.is_set() or (isinstance(item, EventPublic) and not self.accepts(item)):
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed.set()


class EventHub:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        database_url: str,
        *,
        poll_interval_s: float = 0.1,
        fallback_poll_s: float = 1.0,
        session_check_s: float = 1.0,
        page_size: int = 500,
    ) -> None:
        self._sessions = sessions
        url = make_url(database_url)
        self._listen_dsn = (
            url.set(drivername="postgresql").render_as_string(hide_password=False)
            if url.get_backend_name() == "postgresql"
            else None
        )
        self._poll_s = fallback_poll_s if self._listen_dsn else poll_interval_s
        self._session_check_s = session_check_s
        self._page_size = page_size
        self._subs: set[Subscription] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()
        self.last_id = 0

    @property
    def listeners(self) -> int:
        return len(self._subs)

    async def subscribe(self, accepts: EventFilter, *, session_id: str | None, maxsize: int) -> Subscription:
        """Registers a listener: from now on it is offered every event above `last_id` that it accepts."""
        async with self._starting:
            if self._task is None or self._task.done():
                async with self._sessions() as session:
                    self.last_id = max(self.last_id, await last_event_id(session))
                self._task = asyncio.create_task(self._run(), name="event-hub")
        sub = Subscription(accepts=accepts, session_id=session_id, queue=asyncio.Queue(maxsize))
        self._subs.add(sub)
        return sub

    def refilter(self, sub: Subscription, accepts: EventFilter) -> int:
        """Changes what `sub` accepts from now on; returns the last id offered under the old filter."""
        sub.accepts = accepts
        return self.last_id

    async def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)
        if not self._subs:
            await self.close()

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await self._listen_and_pump()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event hub failed; retrying in 1 s")
                await asyncio.sleep(1)

    async def _listen_and_pump(self) -> None:
        connection = await asyncpg.connect(self._listen_dsn) if self._listen_dsn else None
        try:
            if connection is not None:
                await connection.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
            checked_at = 0.0
            while True:
                await self._pump()
                if time.monotonic() - checked_at >= self._session_check_s:
                    checked_at = time.monotonic()
                    await self._check_sessions()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_s)
                self._wake.clear()
        finally:
            if connection is not None:
                await connection.close(timeout=2)

    async def _pump(self) -> None:
        while self._subs:
            async with self._sessions() as session:
                events = await events_after(session, self.last_id, company_ids=None, limit=self._page_size)
            # No await from here to the end of the loop body: a listener registered at any await point
            # is offered exactly the events above the `last_id` it saw.
            for event in events:
                for sub in self._subs:
                    sub.offer(event)
                self.last_id = event.id
            if len(events) < self._page_size:
                return

    async def _check_sessions(self) -> None:
        watched = {s.session_id for s in self._subs if s.session_id and not s.revoked.is_set()}
        if not watched:
            return
        async with self._sessions() as session:
            rows = await session.execute(
                select(col(AuthSession.id))
                .join(User, col(User.id) == col(AuthSession.user_id))
                .where(
                    col(AuthSession.id).in_(watched),
                    or_(col(AuthSession.revoked_at).is_not(None), col(User.disabled).is_(True)),
                )
            )
            ended = set(rows.scalars())
        for sub in self._subs:
            if sub.session_id in ended:
                sub.revoked.set()
