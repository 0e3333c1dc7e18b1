"""The check-and-mark around each send, so one channel of one notification goes out at most once per
(notification key, user), across activity retries, worker restarts and repeated requests.

`claim` turns the delivery row to "sending" unless it was sent already or another attempt holds it; the
send follows, then `finish` marks it "sent" or "failed". What remains is the window between a send that
succeeded and its mark: a worker dying right there (or the database failing right then) leaves the row
"sending", and once the claim's lease has run out a later attempt sends it again. So: at most once,
except for a crash inside that window of a few milliseconds, where it is at least once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.db.models import NotificationDelivery, table_of, utcnow
from core.db.upsert import dialect_of, insert_ignoring_conflicts

DeliveryStatus = Literal["sending", "sent", "failed", "skipped"]
COMPANY_WIDE = "*"  # user_id of a channel sent once per company (Slack)


@dataclass(frozen=True)
class DeliveryKey:
    notification_key: str
    user_id: str
    channel: str

    def where(self) -> ColumnElement[bool]:
        return and_(
            col(NotificationDelivery.notification_key) == self.notification_key,
            col(NotificationDelivery.user_id) == self.user_id,
            col(NotificationDelivery.channel) == self.channel,
        )


@dataclass(frozen=True)
class Claim:
    """`claimed`: this attempt may send. Otherwise `status` says why not ("sent", or "sending" by another
    attempt whose lease has not run out)."""

    claimed: bool
    status: str | None = None


async def claim(session: AsyncSession, key: DeliveryKey, *, lease: timedelta, now: datetime) -> Claim:
    """In the caller's transaction, which must commit before the send."""
    row = {
        "notification_key": key.notification_key,
        "user_id": key.user_id,
        "channel": key.channel,
        "status": "failed",
        "attempts": 0,
        "last_error": None,
        "updated_at": now,
    }
    await session.execute(
        insert_ignoring_conflicts(dialect_of(session), table_of(NotificationDelivery), [row])
    )
    taken = await session.execute(
        update(NotificationDelivery)
        .where(key.where())
        .where(
            or_(
                col(NotificationDelivery.status).in_(("failed", "skipped")),
                (col(NotificationDelivery.status) == "sending")
                & (col(NotificationDelivery.updated_at) < now - lease),
            )
        )
        .values(status="sending", updated_at=now)
    )
    if taken.rowcount == 1:  # type: ignore[attr-defined]
        return Claim(True)
    current = await session.get(NotificationDelivery, (key.notification_key, key.user_id, key.channel))
    return Claim(False, current.status if current else None)


async def finish(
    session: AsyncSession,
    key: DeliveryKey,
    status: DeliveryStatus,
    *,
    attempts: int = 0,
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    """Records an outcome (`attempts` more sends were made); creates the row for a channel never claimed."""
    now = now or utcnow()
    row = {
        "notification_key": key.notification_key,
        "user_id": key.user_id,
        "channel": key.channel,
        "status": status,
        "attempts": 0,
        "last_error": error,
        "updated_at": now,
    }
    await session.execute(
        insert_ignoring_conflicts(dialect_of(session), table_of(NotificationDelivery), [row])
    )
    await session.execute(
        update(NotificationDelivery)
        .where(key.where())
        .where(col(NotificationDelivery.status) != "sent")  # a sent channel stays sent
        .values(
            status=status,
            attempts=col(NotificationDelivery.attempts) + attempts,
            last_error=error,
            updated_at=now,
        )
    )


async def sent_already(session: AsyncSession, key: DeliveryKey) -> bool:
    row = await session.get(NotificationDelivery, (key.notification_key, key.user_id, key.channel))
    return row is not None and row.status == "sent"
