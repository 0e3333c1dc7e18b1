"""When maintenance windows are open: once, weekly (across midnight and DST days) and cron, in time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.maintenance.schedule import (
    Schedule,
    WindowKind,
    check_cron,
    clock_time,
    first_instant_at,
    zone_named,
)

# 2025: clocks 02:00 -> 03:00 on 9 March, 02:00 -> 01:00 on 2 November
NEW_YORK = ZoneInfo("America/New_York")
# 2025: clocks 02:00 CET -> 03:00 CEST at 01:00 UTC on 30 March
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def weekly(timezone: str, *intervals: dict[str, Any]) -> Schedule:
    return Schedule.parse(kind="weekly", timezone=timezone, weekly=intervals)


def cron(expression: str, minutes: int, timezone: str = "UTC") -> Schedule:
    return Schedule.parse(kind="cron", timezone=timezone, cron=expression, duration_minutes=minutes)


def test_once_window_is_open_from_its_start_until_just_before_its_end() -> None:
    once = Schedule.parse(
        kind="once", timezone="Europe/Berlin", starts_at=utc(2030, 1, 31, 22), ends_at=utc(2030, 2, 1, 2)
    )
    assert not once.is_open(utc(2030, 1, 31, 21, 59, 59))
    assert once.is_open(utc(2030, 1, 31, 22))
    assert once.is_open(utc(2030, 2, 1, 1, 59, 59))
    assert not once.is_open(utc(2030, 2, 1, 2))
    assert once.next_start(utc(2030, 1, 1)) == utc(2030, 1, 31, 22)
    assert once.next_start(utc(2030, 1, 31, 23)) is None


def test_weekly_interval_is_read_in_the_window_time_zone() -> None:
    # Monday 09:00-17:00 in Berlin is 08:00-16:00 UTC in winter and 07:00-15:00 UTC in summer.
    office = weekly("Europe/Berlin", {"days": ["mon"], "start": "09:00", "end": "17:00"})
    assert not office.is_open(utc(2025, 1, 6, 7, 59))
    assert office.is_open(utc(2025, 1, 6, 8, 0))
    assert not office.is_open(utc(2025, 1, 6, 16, 0))
    assert office.is_open(utc(2025, 7, 7, 7, 0))
    assert not office.is_open(utc(2025, 7, 7, 15, 0))
    assert not office.is_open(utc(2025, 1, 7, 10, 0))  # a Tuesday


def test_weekly_interval_ending_before_its_start_runs_past_midnight_into_the_next_day() -> None:
    # Saturdays 22:00 until Sunday 02:00, Tokyo time (UTC+9, no DST).
    nightly = weekly("Asia/Tokyo", {"days": ["sat"], "start": "22:00", "end": "02:00"})
    saturday_22 = utc(2025, 3, 1, 13)
    assert nightly.is_open(saturday_22)
    assert nightly.is_open(saturday_22 + timedelta(hours=3, minutes=59))  # Sunday 01:59
    assert not nightly.is_open(saturday_22 + timedelta(hours=4))  # Sunday 02:00
    assert not nightly.is_open(saturday_22 - timedelta(minutes=1))
    # Only from the listed day: Sunday 22:00 opens nothing, and Saturday 01:00 belongs to no Friday start.
    assert not nightly.is_open(saturday_22 + timedelta(days=1))
    assert not nightly.is_open(saturday_22 - timedelta(hours=21))


def test_weekly_interval_with_equal_start_and_end_lasts_a_whole_day() -> None:
    whole_day = weekly("UTC", {"days": ["wed"], "start": "06:00", "end": "06:00"})
    assert whole_day.is_open(utc(2025, 1, 1, 6))  # Wednesday
    assert whole_day.is_open(utc(2025, 1, 2, 5, 59))
    assert not whole_day.is_open(utc(2025, 1, 2, 6))


def test_weekly_window_on_spring_forward_night_follows_the_wall_clock() -> None:
    # 01:00-03:30 on the night New York skips 02:00-03:00 lasts 90 real minutes.
    night = weekly("America/New_York", {"days": ["sun"], "start": "01:00", "end": "03:30"})
    assert not night.is_open(utc(2025, 3, 9, 5, 59))  # 00:59 EST
    assert night.is_open(utc(2025, 3, 9, 6, 0))  # 01:00 EST
    assert night.is_open(utc(2025, 3, 9, 7, 0))  # 03:00 EDT, right after the jump
    assert night.is_open(utc(2025, 3, 9, 7, 29))
    assert not night.is_open(utc(2025, 3, 9, 7, 30))  # 03:30 EDT


def test_weekly_window_starting_in_the_skipped_hour_opens_at_the_jump() -> None:
    skipped = weekly("America/New_York", {"days": ["sun"], "start": "02:30", "end": "04:00"})
    assert not skipped.is_open(utc(2025, 3, 9, 6, 59))  # 01:59 EST
    assert skipped.is_open(utc(2025, 3, 9, 7, 0))  # 03:00 EDT
    assert not skipped.is_open(utc(2025, 3, 9, 8, 0))  # 04:00 EDT
    assert skipped.next_start(utc(2025, 3, 8)) == utc(2025, 3, 9, 7, 0)


def test_weekly_window_in_the_repeated_hour_is_open_on_both_passes() -> None:
    repeated = weekly("America/New_York", {"days": ["sun"], "start": "01:00", "end": "01:30"})
    assert repeated.is_open(utc(2025, 11, 2, 5, 0))  # 01:00 EDT
    assert not repeated.is_open(utc(2025, 11, 2, 5, 45))  # 01:45 EDT
    assert repeated.is_open(utc(2025, 11, 2, 6, 15))  # 01:15 EST, the clock's second pass
    assert not repeated.is_open(utc(2025, 11, 2, 6, 30))
    assert repeated.next_start(utc(2025, 11, 1)) == utc(2025, 11, 2, 5, 0)  # the first pass


def test_weekly_next_start_is_the_nearest_of_its_intervals() -> None:
    schedule = weekly(
        "Europe/London",
        {"days": ["tue", "thu"], "start": "23:00", "end": "01:00"},
        {"days": ["sat"], "start": "08:00", "end": "09:00"},
    )
    wednesday = utc(2025, 1, 1, 12)
    assert schedule.next_start(wednesday) == utc(2025, 1, 2, 23)
    assert schedule.next_start(utc(2025, 1, 2, 23, 30)) == utc(2025, 1, 4, 8)
    assert schedule.next_start(utc(2025, 1, 4, 8, 30)) == utc(2025, 1, 7, 23)


def test_cron_window_is_open_for_its_duration_after_each_fire() -> None:
    # Every Sunday 02:00 Berlin time (01:00 UTC in winter), for 90 minutes.
    backups = cron("0 2 * * sun", 90, "Europe/Berlin")
    assert not backups.is_open(utc(2025, 1, 5, 0, 59, 59))
    assert backups.is_open(utc(2025, 1, 5, 1, 0))  # exactly at the fire
    assert backups.is_open(utc(2025, 1, 5, 2, 29, 59))
    assert not backups.is_open(utc(2025, 1, 5, 2, 30))
    assert not backups.is_open(utc(2025, 1, 8, 1, 30))  # a Wednesday
    assert backups.is_open(utc(2025, 7, 6, 0, 0))  # summer: 02:00 CEST is 00:00 UTC
    assert backups.next_start(utc(2025, 1, 5, 1, 30)) == utc(2025, 1, 12, 1, 0)


def test_cron_duration_counts_real_minutes_across_a_dst_change() -> None:
    # Fires 01:30 New York time on the spring-forward night; 60 minutes later the clock reads 03:30.
    night = cron("30 1 * * *", 60, "America/New_York")
    fire = utc(2025, 3, 9, 6, 30)  # 01:30 EST
    assert night.is_open(fire + timedelta(minutes=59))
    assert not night.is_open(fire + timedelta(minutes=60))


def test_cron_windows_longer_than_their_period_stay_open() -> None:
    every_hour_for_two = cron("0 * * * *", 120)
    assert all(every_hour_for_two.is_open(utc(2025, 1, 1, h, 59)) for h in range(24))


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"kind": "once", "starts_at": utc(2030, 1, 2), "ends_at": utc(2030, 1, 1)}, "before ends_at"),
        ({"kind": "once", "starts_at": utc(2030, 1, 1)}, "needs starts_at and ends_at"),
        ({"kind": "once", "starts_at": utc(2030, 1, 1), "ends_at": utc(2030, 1, 1)}, "before ends_at"),
        # One instant without an offset cannot even be compared with the other: a reason, not a TypeError.
        ({"kind": "once", "starts_at": utc(2030, 1, 1), "ends_at": datetime(2030, 1, 2)}, "UTC offset"),
        ({"kind": "once", "starts_at": datetime(2030, 1, 1), "ends_at": utc(2030, 1, 2)}, "UTC offset"),
        ({"kind": "weekly"}, "at least one interval"),
        ({"kind": "weekly", "weekly": [{"days": ["monday"], "start": "01:00", "end": "02:00"}]}, "days"),
        ({"kind": "weekly", "weekly": [{"days": ["mon"], "start": "24:00", "end": "02:00"}]}, "time of day"),
        ({"kind": "weekly", "weekly": [{"days": ["mon"], "start": "1:00", "end": "02:00"}]}, "HH:MM"),
        ({"kind": "cron", "duration_minutes": 5}, "needs cron"),
        ({"kind": "cron", "cron": "0 2 * * sun"}, "duration_minutes"),
        ({"kind": "cron", "cron": "0 2 * * sun", "duration_minutes": 0}, "duration_minutes"),
        ({"kind": "cron", "cron": "0 2 * * sun", "duration_minutes": 10081}, "duration_minutes"),
        ({"kind": "cron", "cron": "0 2 31 2 *", "duration_minutes": 5}, "never fires"),
        ({"kind": "cron", "cron": "0 2 * *", "duration_minutes": 5}, "five fields"),
        ({"kind": "cron", "cron": "*", "duration_minutes": 5}, "five fields"),
        ({"kind": "cron", "cron": "0 0 2 * * sun", "duration_minutes": 5}, "five fields"),
        ({"kind": "cron", "cron": "61 2 * * *", "duration_minutes": 5}, "not a valid cron"),
        ({"kind": "weekly", "timezone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"kind": "monthly"}, "monthly"),
    ],
)
def test_unusable_schedules_are_refused_with_a_reason(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Schedule.parse(**{"timezone": "UTC", **fields})


def test_helpers_refuse_what_only_looks_right() -> None:
    with pytest.raises(ValueError):
        clock_time("\u0661\u0662:00")  # Arabic-Indic digits are digits to Python, not to HH:MM
    with pytest.raises(ValueError):
        zone_named("../../etc/passwd")
    check_cron("@weekly")
    check_cron("*/15 9-17 * * mon-fri")


def test_first_instant_at_a_skipped_wall_time_is_the_jump() -> None:
    assert first_instant_at(datetime(2025, 3, 9, 2, 30), NEW_YORK) == utc(2025, 3, 9, 7, 0)
    assert first_instant_at(datetime(2025, 3, 9, 1, 30), NEW_YORK) == utc(2025, 3, 9, 6, 30)
    assert first_instant_at(datetime(2025, 11, 2, 1, 30), NEW_YORK) == utc(2025, 11, 2, 5, 30)


# --- found by `make mutate`: boundaries the tests above did not pin down -----------------------------------


def test_clock_times_run_from_00_00_to_23_59() -> None:
    assert clock_time("00:00") == clock_time("00:00").replace(hour=0, minute=0)
    assert (clock_time("23:59").hour, clock_time("23:59").minute) == (23, 59)
    for wrong in ("24:00", "12:60", "12:5:", "1:230"):
        with pytest.raises(ValueError):
            clock_time(wrong)


def test_a_once_window_starting_at_the_moment_asked_about_is_not_its_next_start() -> None:
    once = Schedule.parse(kind="once", timezone="UTC", starts_at=utc(2030, 1, 1), ends_at=utc(2030, 1, 2))
    assert once.next_start(utc(2030, 1, 1)) is None
    assert once.next_start(utc(2029, 12, 31, 23, 59, 59)) == utc(2030, 1, 1)


def test_a_minute_past_59_is_refused_as_no_time_of_day() -> None:
    with pytest.raises(ValueError, match="between 00:00 and 23:59"):
        clock_time("12:60")


def test_weekly_interval_from_sunday_night_runs_into_monday_morning() -> None:
    late_sunday = weekly("UTC", {"days": ["sun"], "start": "22:00", "end": "02:00"})
    assert late_sunday.is_open(utc(2025, 3, 3, 1, 59))  # Monday 01:59: the week wraps around
    assert not late_sunday.is_open(utc(2025, 3, 3, 2, 0))


def test_first_instant_at_a_wall_time_skipped_east_of_utc_is_the_jump() -> None:
    assert first_instant_at(datetime(2025, 3, 30, 2, 30), BERLIN) == utc(2025, 3, 30, 1, 0)
    assert first_instant_at(datetime(2025, 3, 30, 2, 59, 59), BERLIN) == utc(2025, 3, 30, 1, 0)
    assert first_instant_at(datetime(2025, 3, 30, 3, 0, 1), BERLIN) == utc(2025, 3, 30, 1, 0, 1)


def test_weekly_window_starting_in_the_skipped_hour_east_of_utc_opens_at_the_jump() -> None:
    patching = weekly("Europe/Berlin", {"days": ["sun"], "start": "02:30", "end": "04:00"})
    assert patching.next_start(utc(2025, 3, 29)) == utc(2025, 3, 30, 1, 0)


def test_weekly_next_start_counts_days_in_the_window_zone_not_in_utc() -> None:
    # Monday 22:00 in New York is 03:00 UTC on Tuesday (EST); asked at Monday 21:00 there, 02:00 UTC Tuesday.
    late = weekly("America/New_York", {"days": ["mon"], "start": "22:00", "end": "23:00"})
    assert late.next_start(utc(2025, 1, 7, 2, 0)) == utc(2025, 1, 7, 3, 0)
    # Asked at the very moment it opens, the next start is a week on.
    assert late.next_start(utc(2025, 1, 7, 3, 0)) == utc(2025, 1, 14, 3, 0)


def test_cron_durations_run_from_one_minute_to_a_week() -> None:
    shortest, longest = cron("0 2 * * *", 1), cron("0 2 * * *", 7 * 24 * 60)
    assert (shortest.kind, shortest.duration, longest.duration) == (
        WindowKind.cron,
        timedelta(minutes=1),
        timedelta(days=7),
    )
    assert shortest.is_open(utc(2025, 1, 1, 2, 0, 59)) and not shortest.is_open(utc(2025, 1, 1, 2, 1))


def test_a_schedule_keeps_the_time_zone_it_was_given() -> None:
    once = Schedule.parse(
        kind="once", timezone="Europe/Berlin", starts_at=utc(2030, 1, 1), ends_at=utc(2030, 1, 2)
    )
    assert (once.kind, once.zone) == (WindowKind.once, BERLIN)
    assert cron("0 2 * * *", 5, "Europe/Berlin").zone == BERLIN
