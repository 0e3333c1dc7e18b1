"""The signed-in user's notification preferences: channels per severity, quiet hours, an email address
of their own for notifications (core/notifications/preferences.py). No setting saved: the defaults."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SessionDep
from api.permissions import CanManageSelf
from core.notifications.preferences import NotificationPreferences, preferences_of, save_preferences

router = APIRouter(prefix="/api/users/me/notification-preferences", tags=["me"])


@router.get("", response_model=NotificationPreferences)
async def read_preferences(principal: CanManageSelf, session: SessionDep) -> NotificationPreferences:
    return await preferences_of(session, principal.user.id)


@router.put("", response_model=NotificationPreferences)
async def replace_preferences(
    body: NotificationPreferences, principal: CanManageSelf, session: SessionDep
) -> NotificationPreferences:
    """The whole setting: severities left out take their defaults; in-app is always on. In quiet hours
    only critical notifications leave the app."""
    await save_preferences(session, principal.user.id, body)
    await session.commit()
    return body
