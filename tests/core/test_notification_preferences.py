"""Which channels a notification takes: the defaults, a user's choice per severity, and quiet hours on the
user's own wall clock (across midnight, in other time zones, over daylight-saving changes)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from core.notifications.preferences import (
    NotificationPreferences,
    QuietHours,
    channels_for,
)
from workflows.notifications.types import Channel
from workflows.types import Severity

IN_APP, EMAIL, SLACK = Channel.in_app, Channel.email, Channel.slack


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_defaults_keep_low_and_medium_in_the_app_and_page_critical_everywhere() -> None:
    prefs = NotificationPreferences()
    noon = at("2026-12-01T12:00")
    assert channels_for(prefs, Severity.low, noon).channels == [IN_APP]
    assert channels_for(prefs, Severity.medium, noon).channels == [IN_APP]
    assert channels_for(prefs, Severity.high, noon).channels == [IN_APP, EMAIL]
    assert channels_for(prefs, Severity.critical, noon).channels == [IN_APP, EMAIL, SLACK]


def test_in_app_is_always_on_and_left_out_severities_take_their_defaults() -> None:
    prefs = NotificationPreferences.model_validate({"channels": {"low": ["email"], "critical": []}})
    assert prefs.channels[Severity.low] == [IN_APP, EMAIL]
    assert prefs.channels[Severity.critical] == [IN_APP]
    assert prefs.channels[Severity.high] == [IN_APP, EMAIL]


@pytest.mark.parametrize(
    ("utc", "quiet"),
    [
        ("2026-12-01T21:59", False),
        ("2026-12-01T22:00", True),
        ("2026-12-01T23:59", True),
        ("2026-12-02T00:00", True),
        ("2026-12-02T06:59", True),
        ("2026-12-02T07:00", False),
        ("2026-12-02T12:00", False),
    ],
)
def test_quiet_hours_across_midnight(utc: str, quiet: bool) -> None:
    assert QuietHours(start="22:00", end="07:00").contains(at(utc)) is quiet


@pytest.mark.parametrize(
    ("utc", "quiet"),
    [
        ("2026-12-01T12:59", False),
        ("2026-12-01T13:00", True),
        ("2026-12-01T13:59", True),
        ("2026-12-01T14:00", False),
    ],
)
def test_quiet_hours_within_one_day(utc: str, quiet: bool) -> None:
    assert QuietHours(start="13:00", end="14:00").contains(at(utc)) is quiet


def test_quiet_hours_follow_the_users_time_zone() -> None:
    sydney = QuietHours(start="22:00", end="07:00", timezone="Australia/Sydney")  # UTC+11 in December
    assert sydney.contains(at("2026-12-01T12:00"))  # 23:00 in Sydney
    assert not sydney.contains(at("2026-12-01T20:30"))  # 07:30 the next morning there
    new_york = QuietHours(start="22:00", end="07:00", timezone="America/New_York")  # UTC-5
    assert new_york.contains(at("2026-12-02T04:00"))  # 23:00 the evening before
    assert not new_york.contains(at("2026-12-01T23:00"))  # 18:00


def test_quiet_hours_keep_to_the_wall_clock_over_a_daylight_saving_change() -> None:
    berlin = QuietHours(start="22:00", end="07:00", timezone="Europe/Berlin")
    # 06:30 Berlin time: 05:30 UTC in March before the change (CET), 04:30 UTC after it (CEST).
    assert berlin.contains(at("2026-03-28T05:30"))
    assert berlin.contains(at("2026-03-29T04:30"))
    assert not berlin.contains(at("2026-03-29T05:30"))  # 07:30 in Berlin


def test_in_quiet_hours_only_critical_leaves_the_app() -> None:
    prefs = NotificationPreferences.model_validate(
        {
            "channels": {"high": ["in_app", "email", "slack"]},
            "quiet_hours": {"start": "22:00", "end": "07:00", "timezone": "UTC"},
        }
    )
    night, day = at("2026-12-01T23:30"), at("2026-12-01T10:00")
    held = channels_for(prefs, Severity.high, night)
    assert held.channels == [IN_APP]
    assert held.quieted == [EMAIL, SLACK]
    assert channels_for(prefs, Severity.high, day).channels == [IN_APP, EMAIL, SLACK]
    assert channels_for(prefs, Severity.critical, night).channels == [IN_APP, EMAIL, SLACK]


@pytest.mark.parametrize(
    "setting",
    [
        {"channels": {"high": ["pager"]}},
        {"channels": {"urgent": ["email"]}},
        {"quiet_hours": {"start": "24:00", "end": "07:00"}},
        {"quiet_hours": {"start": "7:00", "end": "08:00"}},
        {"quiet_hours": {"start": "22:00", "end": "22:00"}},
        {"quiet_hours": {"start": "22:00", "end": "07:00", "timezone": "Mars/Olympus"}},
        {"quiet_hours": {"start": "22:00"}},
        {"email": "not-an-address"},
        {"sms": True},
    ],
)
def test_settings_that_cannot_work_are_refused(setting: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        NotificationPreferences.model_validate(setting)
