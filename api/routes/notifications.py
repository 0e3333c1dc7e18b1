"""The signed-in user's own notifications (core/notifications/inbox.py): newest first, with each channel's
delivery so a failed email or Slack post is visible, the unread count, and marking read. Another user's
notification answers 404, like one that does not exist."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from api.deps import SessionDep
from api.fields import NO_NUL
from api.permissions import CanManageSelf
from api.tenancy import not_found
from core.db.models import Notification, NotificationDelivery
from core.notifications import inbox

router = APIRouter(prefix="/api/notifications", tags=["notifications"])

NotificationId = Annotated[str, Path(max_length=40, pattern=NO_NUL)]


class DeliveryPublic(BaseModel):
    channel: str
    status: str  # sent | failed | skipped | sending
    attempts: int
    last_error: str | None
    updated_at: datetime


class NotificationPublic(BaseModel):
    id: str
    company_id: str
    incident_id: str
    kind: str
    severity: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None
    deliveries: list[DeliveryPublic]


class NotificationList(BaseModel):
    items: list[NotificationPublic]
    unread_count: int


class ReadAll(BaseModel):
    marked: int
    unread_count: int


def _public(notification: Notification, deliveries: list[NotificationDelivery]) -> NotificationPublic:
    return NotificationPublic(
        **notification.model_dump(exclude={"notification_key", "user_id"}),
        deliveries=[DeliveryPublic.model_validate(d, from_attributes=True) for d in deliveries],
    )


@router.get("", response_model=NotificationList)
async def list_notifications(
    principal: CanManageSelf,
    session: SessionDep,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationList:
    found = await inbox.inbox_of(session, principal.user.id, unread_only=unread, limit=limit)
    return NotificationList(
        items=[_public(n, found.deliveries_of(n)) for n in found.notifications],
        unread_count=found.unread_count,
    )


@router.post("/read-all", response_model=ReadAll)
async def read_all(principal: CanManageSelf, session: SessionDep) -> ReadAll:
    marked = await inbox.mark_all_read(session, principal.user.id)
    return ReadAll(marked=marked, unread_count=0)


@router.post("/{notification_id}/read", response_model=NotificationPublic)
async def read_notification(
    notification_id: NotificationId, principal: CanManageSelf, session: SessionDep
) -> NotificationPublic:
    notification = await inbox.mark_read(session, principal.user.id, notification_id)
    if notification is None:
        raise not_found("notification", notification_id)
    found = await inbox.deliveries_for(session, notification)
    return _public(notification, found)
