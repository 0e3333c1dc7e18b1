"""The event outbox: events join the transaction of the change they describe and are written as its last
step, so an event exists if and only if its change committed.

Ids in commit order. With concurrent PostgreSQL transactions a sequence hands out ids in the order of
the inserts, not of the commits, so a reader of "id > last" could pass over a row whose transaction
commits later. Writing the events last, under a transaction-level advisory lock, makes the lock holder
the only transaction that can take ids until it commits or rolls back (PostgreSQL makes a commit
visible before it releases the transaction's locks): ids become visible in increasing order, and a
reader never needs a settle window. The cost is that event-writing transactions serialize their final
statement and commit; incident writes come micro-batched (activities/incident_store.py), so that is a
few commits per batch. Taking the lock last also means its holder waits for no other lock, so it
cannot deadlock with the row locks the transaction took before. SQLite has one writer at a time.

The same transaction sends a NOTIFY (delivered only on commit) that wakes every API process's hub
(core/events/hub.py); the row stays the source of truth and the payload carries nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, event, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from core.db.models import Event, table_of
from core.events.types import EventDraft, EventPublic

EVENTS = table_of(Event)
NOTIFY_CHANNEL = "aw_events"
# Any constant both writers agree on; the "event" in ASCII.
_ADVISORY_LOCK_KEY = 0x6576656E74
_STAGED = "aw_staged_events"


def stage(session: AsyncSession, drafts: Iterable[EventDraft]) -> None:
    """Adds events to the session's transaction: written when it commits, dropped if it rolls back."""
    staged: list[EventDraft] = session.sync_session.info.setdefault(_STAGED, [])
    staged.extend(drafts)


@event.listens_for(Session, "before_commit")
def _write_staged(session: Session) -> None:
    drafts: list[EventDraft] | None = session.info.pop(_STAGED, None)
    if not drafts:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
    rows = [d.model_dump(mode="python") for d in _unique(drafts)]
    module: Any = postgresql if dialect == "postgresql" else sqlite
    session.execute(module.insert(EVENTS).values(rows).on_conflict_do_nothing(index_elements=["dedup_key"]))
    if dialect == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


@event.listens_for(Session, "after_rollback")
def _drop_staged(session: Session) -> None:
    session.info.pop(_STAGED, None)


@event.listens_for(Session, "after_transaction_end")
def _drop_staged_at_end(session: Session, transaction: SessionTransaction) -> None:
    # However the outermost transaction ended (a close without commit, too), nothing staged outlives it.
    if transaction.parent is None:
        session.info.pop(_STAGED, None)


def _unique(drafts: Sequence[EventDraft]) -> list[EventDraft]:
    """The first of each key: one statement cannot insert the same key twice on PostgreSQL."""
    first: dict[str, EventDraft] = {}
    for draft in drafts:
        first.setdefault(draft.dedup_key, draft)
    return list(first.values())


async def events_after(
    session: AsyncSession,
    after: int,
    *,
    company_ids: Sequence[str] | None,
    incident_id: str | None = None,
    limit: int = 500,
) -> list[EventPublic]:
    """Events with ids above `after` in id order; `company_ids` None means every company."""
    query = select(EVENTS).where(EVENTS.c.id > after)
    if company_ids is not None:
        query = query.where(EVENTS.c.company_id.in_(list(company_ids)))
    if incident_id is not None:
        query = query.where(EVENTS.c.incident_id == incident_id)
    rows = await session.execute(query.order_by(EVENTS.c.id).limit(limit))
    return [EventPublic.model_validate(row, from_attributes=True) for row in rows]


async def last_event_id(session: AsyncSession) -> int:
    return int((await session.execute(select(func.coalesce(func.max(EVENTS.c.id), 0)))).scalar_one())


async def purge_events(session: AsyncSession, older_than: datetime, *, limit: int) -> int:
    """Deletes up to `limit` of the oldest events past their retention; returns how many."""
    oldest = select(EVENTS.c.id).where(EVENTS.c.at < older_than).order_by(EVENTS.c.at).limit(limit)
    result = await session.execute(delete(EVENTS).where(EVENTS.c.id.in_(oldest.scalar_subquery())))
    return int(getattr(result, "rowcount", 0) or 0)
