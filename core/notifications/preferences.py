"""Which channels a notification takes to one user: their choice per severity, and quiet hours.

In-app is always on. In quiet hours only critical notifications go out on every chosen channel; the rest
reach the user in the app only, and the channels held back are recorded as skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core.db.models import NotificationPreference, utcnow
from workflows.notifications.types import Channel
from workflows.types import Severity

DEFAULT_CHANNELS: dict[Severity, list[Channel]] = {
    Severity.low: [Channel.in_app],
    Severity.medium: [Channel.in_app],
    Severity.high: [Channel.in_app, Channel.email],
    Severity.critical: [Channel.in_app, Channel.email, Channel.slack],
}

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _clock(value: str) -> str:
    if not _CLOCK.match(value):
        raise ValueError("is not a time of day as HH:MM (00:00 to 23:59)")
    return value


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > 320 or not _EMAIL.match(value):
        raise ValueError("is not an email address")
    return value


Clock = Annotated[str, AfterValidator(_clock)]


class QuietHours(BaseModel):
    """From `start` to `end` on the user's wall clock in `timezone`; across midnight when start > end."""

    model_config = ConfigDict(extra="forbid")

    start: Clock = Field(examples=["22:00"])
    end: Clock = Field(examples=["07:00"])
    timezone: str = Field("UTC", max_length=64, examples=["Europe/Berlin"])

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin") from None
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("start and end are the same: quiet hours would be empty")
        return self

    def contains(self, instant: datetime) -> bool:
        """Whether `instant` (timezone-aware) falls in quiet hours, on the user's wall clock."""
        local = instant.astimezone(ZoneInfo(self.timezone)).time()
        start, end = time.fromisoformat(self.start), time.fromisoformat(self.end)
        if start < end:
            return start <= local < end
        return local >= start or local < end


class NotificationPreferences(BaseModel):
    """A user's whole setting; severities left out take their defaults, and in-app is always added."""

    model_config = ConfigDict(extra="forbid")

    channels: dict[Severity, list[Channel]] = Field(
        default_factory=lambda: {s: list(c) for s, c in DEFAULT_CHANNELS.items()},
        examples=[{"critical": ["in_app", "email", "slack"], "high": ["in_app", "email"]}],
    )
    quiet_hours: QuietHours | None = None
    email: Annotated[str | None, AfterValidator(_email)] = Field(
        None, description="where email goes instead of the account's address"
    )

    @field_validator("channels")
    @classmethod
    def _complete(cls, value: dict[Severity, list[Channel]]) -> dict[Severity, list[Channel]]:
        complete = {}
        for severity in Severity:
            chosen = value.get(severity, DEFAULT_CHANNELS[severity])
            complete[severity] = [Channel.in_app, *(c for c in dict.fromkeys(chosen) if c != Channel.in_app)]
        return complete


@dataclass(frozen=True)
class ChannelChoice:
    channels: list[Channel]
    # Chosen by the user for this severity, held back by quiet hours.
    quieted: list[Channel] = field(default_factory=list)


def channels_for(prefs: NotificationPreferences, severity: Severity, instant: datetime) -> ChannelChoice:
    chosen = prefs.channels[severity]
    if severity == Severity.critical or prefs.quiet_hours is None or not prefs.quiet_hours.contains(instant):
        return ChannelChoice(list(chosen))
    return ChannelChoice([Channel.in_app], [c for c in chosen if c != Channel.in_app])


async def preferences_of(session: AsyncSession, user_id: str) -> NotificationPreferences:
    row = await session.get(NotificationPreference, user_id)
    return NotificationPreferences() if row is None else _of_row(row)


async def preferences_of_users(
    session: AsyncSession, user_ids: Sequence[str]
) -> dict[str, NotificationPreferences]:
    """Each user's setting (the defaults for those without one), in one query."""
    rows = await session.execute(
        select(NotificationPreference).where(col(NotificationPreference.user_id).in_(list(user_ids)))
    )
    saved = {row.user_id: _of_row(row) for row in rows.scalars()}
    return {user_id: saved.get(user_id) or NotificationPreferences() for user_id in user_ids}


def _of_row(row: NotificationPreference) -> NotificationPreferences:
    return NotificationPreferences.model_validate(
        {"channels": row.channels, "quiet_hours": row.quiet_hours, "email": row.email}
    )


async def save_preferences(session: AsyncSession, user_id: str, prefs: NotificationPreferences) -> None:
    """Replaces the user's setting (the caller commits)."""
    row = await session.get(NotificationPreference, user_id)
    if row is None:
        row = NotificationPreference(user_id=user_id)
        session.add(row)
    stored = prefs.model_dump(mode="json")
    row.channels = stored["channels"]
    row.quiet_hours = stored["quiet_hours"]
    row.email = prefs.email
    row.updated_at = utcnow()
