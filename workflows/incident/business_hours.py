"""Business-hours arithmetic: how much working time lies between two instants, and when a given amount of
working time is used up. Pure; deterministic (zoneinfo reads the bundled tz database, never the clock).

Hours are local wall-clock time in the calendar's zone, so a DST change shortens or lengthens no working
day: 09:00-17:00 is eight hours on the day the clocks change as on any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from workflows.types import BusinessHours

# A calendar with no working time at all would never use a duration up: give up after this many days.
MAX_DAYS = 3 * 366


def working_intervals(calendar: BusinessHours, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The working intervals (aware, UTC) from the day of `start` on, in order, clipped to begin at
    `start` at the earliest."""
    zone = ZoneInfo(calendar.timezone)
    day = start.astimezone(zone).date()
    opens, closes = _clock(calendar.start), _clock(calendar.end)
    holidays = set(calendar.holidays)
    for _ in range(MAX_DAYS):
        if day.isoweekday() in calendar.weekdays and day not in holidays:
            begin = _instant(day, opens, zone)
            close_day = day + timedelta(days=1) if closes == time(0) else day  # "00:00": until midnight
            end = _instant(close_day, closes, zone)
            if end > start:
                yield max(begin, start), end
        day += timedelta(days=1)


def add_working_time(calendar: BusinessHours | None, start: datetime, seconds: float) -> datetime:
    """The instant at which `seconds` of working time after `start` are used up."""
    if calendar is None:
        return start + timedelta(seconds=seconds)
    left = timedelta(seconds=seconds)
    for begin, end in working_intervals(calendar, start):
        if end - begin >= left:
            return begin + left
        left -= end - begin
    raise ValueError(f"the calendar has no working time within {MAX_DAYS} days")


def working_seconds(calendar: BusinessHours | None, start: datetime, end: datetime) -> float:
    """Working time between two instants, in seconds (0 when `end` is not after `start`)."""
    if end <= start:
        return 0.0
    if calendar is None:
        return (end - start).total_seconds()
    total = 0.0
    for begin, close in working_intervals(calendar, start):
        if begin >= end:
            break
        total += (min(close, end) - begin).total_seconds()
    return total


def _clock(hhmm: str) -> time:
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    # fold=0: a wall time the clocks repeat (fall back) is the first of the two.
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
