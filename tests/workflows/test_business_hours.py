"""Business-hours arithmetic, property-tested across time zones and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.incident.business_hours import add_working_time, working_seconds
from workflows.types import BusinessHours

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
]
# Around DST changes on both hemispheres, and plain weeks.
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
hours = st.sampled_from([("09:00", "17:00"), ("00:00", "00:00"), ("08:30", "18:15"), ("02:00", "03:30")])
calendars = st.builds(
    lambda zone, days, span, holidays: BusinessHours(
        timezone=zone, weekdays=days, start=span[0], end=span[1], holidays=holidays
    ),
    st.sampled_from(ZONES),
    st.lists(st.integers(1, 7), min_size=1, max_size=7, unique=True),
    hours,
    st.lists(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)), max_size=5),
)
durations = st.floats(min_value=0, max_value=40 * 3600, allow_nan=False)


@given(calendars, instants, durations)
def test_the_working_time_between_start_and_the_instant_it_is_used_up_is_that_time(
    calendar: BusinessHours, start: datetime, seconds: float
) -> None:
    end = add_working_time(calendar, start, seconds)
    assert end >= start
    assert working_seconds(calendar, start, end) == pytest.approx(seconds, abs=1e-5)


@given(calendars, instants, durations, durations)
def test_more_working_time_never_ends_earlier(
    calendar: BusinessHours, start: datetime, a: float, b: float
) -> None:
    low, high = sorted((a, b))
    assert add_working_time(calendar, start, low) <= add_working_time(calendar, start, high)


@given(
    calendars,
    instants,
    st.timedeltas(timedelta(0), timedelta(days=9)),
    st.timedeltas(timedelta(0), timedelta(days=9)),
)
def test_working_time_adds_up_over_consecutive_spans(
    calendar: BusinessHours, start: datetime, first: timedelta, second: timedelta
) -> None:
    middle, end = start + first, start + first + second
    whole = working_seconds(calendar, start, end)
    assert whole == pytest.approx(
        working_seconds(calendar, start, middle) + working_seconds(calendar, middle, end)
    )
    assert 0 <= whole <= (end - start).total_seconds() + 1e-6  # float sums of microseconds


@given(instants, durations)
def test_around_the_clock_is_plain_time(start: datetime, seconds: float) -> None:
    assert add_working_time(None, start, seconds) == start + timedelta(seconds=seconds)  # to the microsecond
    assert working_seconds(None, start, start + timedelta(seconds=seconds)) == pytest.approx(
        seconds, abs=1e-5
    )


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Europe/Berlin", date(2026, 3, 29)),
        ("Europe/Berlin", date(2026, 10, 25)),
        ("America/New_York", date(2026, 3, 8)),
    ],
)
def test_a_working_day_on_which_the_clocks_change_is_still_eight_hours(zone: str, day: date) -> None:
    calendar = BusinessHours(timezone=zone, weekdays=[1, 2, 3, 4, 5, 6, 7], start="09:00", end="17:00")
    local = ZoneInfo(zone)
    midnight = datetime(day.year, day.month, day.day, tzinfo=local)
    next_midnight = midnight + timedelta(days=1)  # wall-clock arithmetic: 23 or 25 hours later
    assert (next_midnight.astimezone(UTC) - midnight.astimezone(UTC)) != timedelta(hours=24)
    assert working_seconds(calendar, midnight.astimezone(UTC), next_midnight.astimezone(UTC)) == 8 * 3600


def test_an_hour_before_closing_on_friday_runs_into_monday_morning() -> None:
    calendar = BusinessHours(
        timezone="Europe/Berlin", start="09:00", end="17:00", holidays=[date(2026, 12, 7)]
    )
    friday_4pm = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # 16:00 in Berlin
    # One hour left on Friday, Monday the 7th is a holiday: 30 minutes into Tuesday.
    assert add_working_time(calendar, friday_4pm, 90 * 60) == datetime(2026, 12, 8, 8, 30, tzinfo=UTC)


def test_working_hours_start_and_end_at_their_minutes() -> None:
    calendar = BusinessHours(timezone="UTC", start="08:30", end="17:45")
    monday_8am = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert add_working_time(calendar, monday_8am, 60) == datetime(2026, 3, 2, 8, 31, tzinfo=UTC)
    assert (
        working_seconds(calendar, monday_8am, datetime(2026, 3, 2, 18, 0, tzinfo=UTC)) == (9 * 60 + 15) * 60
    )


def test_a_calendar_far_west_of_utc_counts_the_rest_of_its_local_day() -> None:
    # 15:00 on Wednesday in Honolulu (UTC-10) is already Thursday in UTC; two working hours are left today.
    calendar = BusinessHours(timezone="Pacific/Honolulu", start="09:00", end="17:00")
    wednesday_3pm = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)
    assert add_working_time(calendar, wednesday_3pm, 3600) == datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    assert working_seconds(calendar, wednesday_3pm, datetime(2026, 3, 5, 19, 0, tzinfo=UTC)) == 2 * 3600
