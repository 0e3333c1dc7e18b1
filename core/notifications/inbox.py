"""A user's own notifications: listed newest first with their channels' deliveries (so a failed email or
Slack post is visible), counted unread, marked read. Only ever the user's own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core.db.models import Notification, NotificationDelivery, utcnow
from core.notifications.deliveries import COMPANY_WIDE


@dataclass(frozen=True)
class Inbox:
    notifications: list[Notification]
    # (notification key, user or "*") -> that notification's deliveries
    deliveries: dict[str, list[NotificationDelivery]]
    unread_count: int

    def deliveries_of(self, notification: Notification) -> list[NotificationDelivery]:
        return self.deliveries.get(notification.notification_key, [])


async def inbox_of(session: AsyncSession, user_id: str, *, unread_only: bool, limit: int) -> Inbox:
    query = select(Notification).where(col(Notification.user_id) == user_id)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    query = query.order_by(col(Notification.created_at).desc(), col(Notification.id).desc()).limit(limit)
    notifications = list((await session.execute(query)).scalars())
    keys = [n.notification_key for n in notifications]
    found: dict[str, list[NotificationDelivery]] = {}
    if keys:
        rows = await session.execute(
            select(NotificationDelivery)
            .where(col(NotificationDelivery.notification_key).in_(keys))
            .where(
                or_(
                    col(NotificationDelivery.user_id) == user_id,
                    col(NotificationDelivery.user_id) == COMPANY_WIDE,
                )
            )
            .order_by(col(NotificationDelivery.channel))
        )
        for delivery in rows.scalars():
            found.setdefault(delivery.notification_key, []).append(delivery)
    return Inbox(notifications, found, await unread_count(session, user_id))


async def unread_count(session: AsyncSession, user_id: str) -> int:
    counted = await session.execute(
        select(func.count())
        .select_from(Notification)
        .where(col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
    )
    return int(counted.scalar_one())


async def mark_read(session: AsyncSession, user_id: str, notification_id: str) -> Notification | None:
    """The user's notification, read (once: the first reading's time stays); None if not theirs."""
    notification = await session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        return None
    if notification.read_at is None:
        notification.read_at = utcnow()
        await session.commit()
    return notification


async def mark_all_read(session: AsyncSession, user_id: str, now: datetime | None = None) -> int:
    marked = await session.execute(
        update(Notification)
        .where(col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
        .values(read_at=now or utcnow())
    )
    await session.commit()
    return int(marked.rowcount)  # type: ignore[attr-defined]


async def deliveries_for(session: AsyncSession, notification: Notification) -> list[NotificationDelivery]:
    rows = await session.execute(
        select(NotificationDelivery)
        .where(col(NotificationDelivery.notification_key) == notification.notification_key)
        .where(
            or_(
                col(NotificationDelivery.user_id) == notification.user_id,
                col(NotificationDelivery.user_id) == COMPANY_WIDE,
            )
        )
        .order_by(col(NotificationDelivery.channel))
    )
    return list(rows.scalars())
