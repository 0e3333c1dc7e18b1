"""The notification outbox: a notice written in the same transaction as the change it announces, and the
dispatcher that sends its email and Slack afterwards.

The incident workflow's first assignment is announced this way (activities/incident_store.py writes it
with the incident's projection), so it costs the incident no activity and no workflow task: the in-app
row (and its `sent` delivery) exists exactly when the assignment does, and an outbox row names the
notice whose other channels are still to go. The dispatcher (`OutboxDispatcher.watch`, run by the
`NotificationOutboxWorkflow` loop, one per task queue) takes due rows a batch at a time, sends them with
the same `Dispatcher` as the `notify` activity (each channel claimed before it is sent, so once per
notice whatever is retried or restarted; failures recorded on the delivery, visible in
GET /api/notifications), and deletes each row once its channels are sent, skipped or failed for good.

Nothing is lost on a restart: a row stays until it is dispatched. Taking a row moves its `next_attempt_at`
past the dispatcher's lease, so rows a dead dispatcher held become due again; a channel it had claimed is
waited for, or retaken once the claim's lease has run out (`deliveries.py`). A notice with a failed
channel is dispatched again after `RETRY_AFTER` (failed channels only: sent ones stay sent), and given up
after the last of them, its failure left on the delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db.models import NotificationDelivery, NotificationOutbox, table_of, utcnow
from core.db.upsert import dialect_of, insert_ignoring_conflicts
from core.notifications.channels import absolute_link, in_app
from core.notifications.dispatcher import Dispatcher
from workflows.notifications.types import Channel, NotifyRequest, NotifyResult, OutboxWatch, OutboxWatchResult

log = logging.getLogger(__name__)

OUTBOX = table_of(NotificationOutbox)
DELIVERIES = table_of(NotificationDelivery)
# Waits before dispatching a notice with a failed channel again; after the last, it is given up.
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=10))
BATCH_SIZE = 50
# Batches sending at once: a slow or failing channel in one never holds up the notices behind it.
BATCHES_IN_FLIGHT = 4


class Doorbell:
    """Wakes this process's dispatcher as soon as a notice written here has committed; notices written by
    other processes are found by its poll."""

    def __init__(self) -> None:
        self._rung = asyncio.Event()

    def ring(self) -> None:
        self._rung.set()

    async def wait(self, at_most_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._rung.wait(), at_most_s)
        self._rung.clear()


class NoticeWriter:
    """Writes notices into the caller's transaction, and rings the doorbell once it has committed."""

    def __init__(self, public_url: str, doorbell: Doorbell) -> None:
        self._public_url = public_url
        self._doorbell = doorbell

    async def stage(self, session: AsyncSession, notices: Sequence[NotifyRequest]) -> None:
        """In-app rows, delivered now, and each notice's outbox row. Writing the same notice again (a
        local activity run again) changes nothing that was written."""
        if not notices:
            return
        now = utcnow()
        dialect = dialect_of(session)
        for req in notices:
            await in_app.store(
                session, req, req.user_ids, absolute_link(req.link, req.incident_id, self._public_url)
            )
        sent_in_app = [
            {
                "notification_key": req.notification_key,
                "user_id": user_id,
                "channel": Channel.in_app.value,
                "status": "sent",
                "attempts": 0,
                "last_error": None,
                "updated_at": now,
            }
            for req in notices
            for user_id in req.user_ids
        ]
        if sent_in_app:
            await session.execute(insert_ignoring_conflicts(dialect, DELIVERIES, sent_in_app))
        rows = [
            {
                "notification_key": req.notification_key,
                "company_id": req.company_id,
                "request": req.model_dump(mode="json"),
                "created_at": now,
                "next_attempt_at": now,
                "attempts": 0,
                "last_error": None,
            }
            for req in notices
        ]
        await session.execute(insert_ignoring_conflicts(dialect, OUTBOX, rows))

    def committed(self) -> None:
        self._doorbell.ring()


@dataclass(frozen=True)
class _Taken:
    key: str
    request: dict[str, object]
    attempts: int


class OutboxDispatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        dispatcher: Dispatcher,
        doorbell: Doorbell,
        *,
        retry_after: Sequence[timedelta] = RETRY_AFTER,
    ) -> None:
        self._sessions = sessions
        self._dispatcher = dispatcher
        self._doorbell = doorbell
        self._retry_after = tuple(retry_after)
        # Longer than a batch can take: every channel's tries, and a wait for a dead attempt's claim.
        self.lease = 2 * dispatcher.lease

    async def watch(self, req: OutboxWatch, heartbeat: Callable[[], None]) -> OutboxWatchResult:
        """Dispatches what the outbox holds for `req.seconds`: at once when this process rang, else every
        `req.poll_s`. Database trouble raises (the activity is retried; taken rows come due again)."""
        result = OutboxWatchResult()
        until = time.monotonic() + req.seconds
        sending: set[asyncio.Task[None]] = set()
        try:
            while (left := until - time.monotonic()) > 0:
                heartbeat()
                if len(sending) < BATCHES_IN_FLIGHT:
                    taken = await self._take_due(utcnow())
                    if taken:
                        task = asyncio.create_task(self._send(taken, result))
                        sending.add(task)
                        task.add_done_callback(sending.discard)
                        task.add_done_callback(lambda _: self._doorbell.ring())  # room for the next batch
                        continue
                await self._doorbell.wait(min(req.poll_s, left))
            while sending:
                heartbeat()
                await asyncio.wait(sending, timeout=req.poll_s)
        finally:
            for task in sending:
                task.cancel()
        return result

    async def _take_due(self, now: datetime) -> list[_Taken]:
        """Up to a batch of due rows, leased to this dispatcher (the lease is the row's next attempt)."""
        async with self._sessions() as session, session.begin():
            # Read first: an empty outbox, the usual answer to a poll, takes no write lock.
            due = await session.execute(
                select(OUTBOX.c.notification_key)
                .where(OUTBOX.c.next_attempt_at <= now)
                .order_by(OUTBOX.c.next_attempt_at)
                .limit(BATCH_SIZE)
            )
            keys = list(due.scalars())
            if not keys:
                return []
            rows = await session.execute(
                update(OUTBOX)
                # Checked again on the row itself: a dispatcher racing for it takes it only if still due.
                .where(OUTBOX.c.notification_key.in_(keys), OUTBOX.c.next_attempt_at <= now)
                .values(next_attempt_at=now + self.lease, attempts=OUTBOX.c.attempts + 1)
                .returning(OUTBOX.c.notification_key, OUTBOX.c.request, OUTBOX.c.attempts)
            )
            return [_Taken(key, request, attempts) for key, request, attempts in rows]

    async def _send(self, taken: list[_Taken], result: OutboxWatchResult) -> None:
        try:
            parsed: list[NotifyRequest | ValueError] = []
            for row in taken:
                try:
                    parsed.append(NotifyRequest.model_validate(row.request))
                except ValueError as unreadable:
                    parsed.append(unreadable)
            requests = [p for p in parsed if isinstance(p, NotifyRequest)]
            sent = iter(await self._dispatcher.dispatch_outboxed(requests))
            outcomes = [next(sent) if isinstance(p, NotifyRequest) else p for p in parsed]
            await self._settle(taken, outcomes, result)
        except Exception:
            # The database went away mid-batch: the rows come due again when their lease runs out.
            log.exception("notification outbox: a batch of %d failed; it is retried", len(taken))

    async def _settle(
        self,
        taken: list[_Taken],
        outcomes: Sequence[NotifyResult | BaseException],
        result: OutboxWatchResult,
    ) -> None:
        now = utcnow()
        done: list[str] = []
        async with self._sessions() as session, session.begin():
            for row, outcome in zip(taken, outcomes, strict=True):
                error = _error_of(outcome)
                if error is None:
                    done.append(row.key)
                    result.dispatched += 1
                    continue
                if isinstance(outcome, NotifyResult):
                    result.channels_failed += len(outcome.failed)
                if row.attempts <= len(self._retry_after):
                    await session.execute(
                        update(OUTBOX)
                        .where(OUTBOX.c.notification_key == row.key)
                        .values(next_attempt_at=now + self._retry_after[row.attempts - 1], last_error=error)
                    )
                    result.retrying += 1
                    continue
                log.warning("notification %s: given up after %d dispatches: %s", row.key, row.attempts, error)
                done.append(row.key)
                result.given_up += 1
            if done:
                await session.execute(delete(OUTBOX).where(OUTBOX.c.notification_key.in_(done)))


def _error_of(outcome: NotifyResult | BaseException) -> str | None:
    """Why the notice must be dispatched again: a failed channel, or database trouble; None when done."""
    if isinstance(outcome, BaseException):
        return f"{type(outcome).__name__}: {outcome}"[:2000]
    if outcome.failed:
        return "; ".join(f"{target}: {reason}" for target, reason in sorted(outcome.failed.items()))[:2000]
    return None
