"""In-app: a `notification` row per user, which GET /api/notifications lists. Storing it twice for the
same key is a no-op (unique notification_key + user_id), so retries never duplicate it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Notification, table_of, utcnow
from core.db.upsert import dialect_of, insert_ignoring_conflicts
from core.events import outbox
from core.events.types import EventDraft
from workflows.notifications.types import NotifyRequest


async def store(session: AsyncSession, req: NotifyRequest, user_ids: Sequence[str], link: str) -> None:
    if not user_ids:
        return
    now = utcnow()
    rows = [
        Notification(
            notification_key=req.notification_key,
            user_id=user_id,
            company_id=req.company_id,
            incident_id=req.incident_id,
            kind=req.kind.value,
            severity=req.severity.value,
            title=req.title,
            body=req.body,
            link=link,
            created_at=now,
        ).model_dump()
        for user_id in user_ids
    ]
    await session.execute(insert_ignoring_conflicts(dialect_of(session), table_of(Notification), rows))
    event = EventDraft(
        dedup_key=f"ntf:{req.notification_key}",
        type="notification",
        company_id=req.company_id,
        incident_id=req.incident_id,
        at=now,
        data={"kind": req.kind.value, "severity": req.severity.value, "title": req.title, "users": len(rows)},
    )
    outbox.stage(session, [event])
