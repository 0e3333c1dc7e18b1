"""When a maintenance window is open: one-off periods, weekly intervals and cron starts, in its time zone.

Pure: no clock and no database, so every rule is tested with fixed instants (DST days included).

Weekly intervals compare local wall-clock times, as a person reads them: "sun 01:00-03:30" in New York
opens at 01:00 and closes when the clock reads 03:30, whatever daylight saving time does in between.
A start the clock skips (02:30 on a spring-forward night) opens the window as the clock jumps past it;
a repeated hour (fall-back night) is covered on both passes. Cron durations, by contrast, are real
minutes from the fire time, as "60 minutes after the job starts" means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from croniter import CroniterBadCronError, CroniterBadDateError, CroniterNotAlphaError, croniter

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = datetime.weekday()
MAX_DURATION_MINUTES = 7 * 24 * 60
CRON_NICKNAMES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
# croniter reads the start time at microsecond precision, and skips a fire exactly at it.
_JUST_AFTER = timedelta(microseconds=1)
_CRON_ERRORS = (CroniterBadCronError, CroniterBadDateError, CroniterNotAlphaError, ValueError, OverflowError)


class WindowKind(StrEnum):
    once = "once"
    weekly = "weekly"
    cron = "cron"


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_named(name: str) -> ZoneInfo:
    """The IANA time zone `name` (e.g. "Europe/Berlin"); ValueError for anything else."""
    if name not in _known_zones():
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or UTC")
    return ZoneInfo(name)


def clock_time(text: str) -> time:
    """ "HH:MM" on a 24-hour clock, ASCII digits only."""
    hours, sep, minutes = text.partition(":")
    if not (sep and len(hours) == 2 and len(minutes) == 2 and (hours + minutes).isascii()):
        raise ValueError(f"{text!r} is not HH:MM")
    if not (hours + minutes).isdigit() or int(hours) > 23 or int(minutes) > 59:
        raise ValueError(f"{text!r} is not a time of day between 00:00 and 23:59")
    return time(int(hours), int(minutes))


def check_cron(expression: str) -> None:
    """A five-field cron expression (or an @daily-style nickname) that fires at some point."""
    fields = expression.split()
    if not (len(fields) == 5 or (len(fields) == 1 and fields[0].lower() in CRON_NICKNAMES)):
        raise ValueError(
            f"{expression!r} is not a cron expression of five fields (minute hour day month weekday) "
            f"or one of {', '.join(CRON_NICKNAMES)}"
        )
    if not croniter.is_valid(expression):
        raise ValueError(f"{expression!r} is not a valid cron expression")
    try:
        croniter(expression, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except _CRON_ERRORS:
        raise ValueError(f"{expression!r} never fires (e.g. a day that no month has)") from None


@dataclass(frozen=True)
class WeeklyInterval:
    """Open from `start` on each of `days` until `end`; an end at or before the start is on the next day."""

    days: frozenset[int]
    start: time
    end: time

    @classmethod
    def parse(cls, stored: Mapping[str, Any]) -> WeeklyInterval:
        days = stored.get("days") or []
        unknown = [d for d in days if d not in DAYS]
        if not days or unknown:
            raise ValueError(f"days must name at least one of {', '.join(DAYS)}; got {days!r}")
        return cls(
            frozenset(DAYS.index(d) for d in days),
            clock_time(str(stored.get("start"))),
            clock_time(str(stored.get("end"))),
        )

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def covers(self, local: datetime) -> bool:
        wall, today = local.time(), local.weekday()
        if not self.crosses_midnight:
            return today in self.days and self.start <= wall < self.end
        yesterday = (today - 1) % 7
        return (today in self.days and wall >= self.start) or (yesterday in self.days and wall < self.end)

    def starts_on(self, day: date) -> bool:
        return day.weekday() in self.days


def first_instant_at(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which clocks in `zone` read `wall` or later.

    Usually the plain conversion; in a repeated hour the first pass; for a wall time that a DST gap
    skips, the moment of the jump, which is when the clock first reads past it."""
    earlier = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if earlier.astimezone(zone).replace(tzinfo=None) == wall:
        return earlier
    # In a gap, fold=1 reads the wall time with the offset from after the jump: an instant before it.
    # Offsets change on whole seconds, so search the seconds in between.
    low, high = int(wall.replace(tzinfo=zone, fold=1).timestamp()), int(earlier.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


@dataclass(frozen=True)
class Schedule:
    kind: WindowKind
    zone: ZoneInfo
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    weekly: tuple[WeeklyInterval, ...] = ()
    cron: str | None = None
    duration: timedelta | None = None

    @classmethod
    def parse(
        cls,
        *,
        kind: str,
        timezone: str,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        weekly: Iterable[Mapping[str, Any]] = (),
        cron: str | None = None,
        duration_minutes: int | None = None,
    ) -> Schedule:
        """Checks everything its kind needs; ValueError with the reason otherwise."""
        window_kind = WindowKind(kind)
        zone = zone_named(timezone)
        if window_kind is WindowKind.once:
            if starts_at is None or ends_at is None:
                raise ValueError("a once window needs starts_at and ends_at")
            if starts_at.tzinfo is None or ends_at.tzinfo is None:
                raise ValueError("starts_at and ends_at need a UTC offset, such as 2030-01-31T22:00:00Z")
            if not starts_at < ends_at:
                raise ValueError("starts_at must be before ends_at")
            return cls(window_kind, zone, starts_at=starts_at, ends_at=ends_at)
        if window_kind is WindowKind.weekly:
            intervals = tuple(WeeklyInterval.parse(i) for i in weekly)
            if not intervals:
                raise ValueError("a weekly window needs at least one interval in weekly")
            return cls(window_kind, zone, weekly=intervals)
        if not cron:
            raise ValueError("a cron window needs cron")
        check_cron(cron)
        if duration_minutes is None or not 1 <= duration_minutes <= MAX_DURATION_MINUTES:
            raise ValueError(f"a cron window needs duration_minutes from 1 to {MAX_DURATION_MINUTES}")
        return cls(window_kind, zone, cron=cron, duration=timedelta(minutes=duration_minutes))

    def is_open(self, at: datetime) -> bool:
        if self.kind is WindowKind.once:
            assert self.starts_at is not None and self.ends_at is not None
            return self.starts_at <= at < self.ends_at
        if self.kind is WindowKind.weekly:
            local = at.astimezone(self.zone)
            return any(interval.covers(local) for interval in self.weekly)
        fired = self._last_fire_at_or_before(at)
        assert self.duration is not None
        return fired is not None and at < fired + self.duration

    def next_start(self, after: datetime) -> datetime | None:
        """The next scheduled opening after `after` (UTC), or None when there is none."""
        if self.kind is WindowKind.once:
            assert self.starts_at is not None
            return self.starts_at if self.starts_at > after else None
        if self.kind is WindowKind.weekly:
            return self._next_weekly_start(after)
        assert self.cron is not None
        try:
            fire: datetime = croniter(self.cron, after.astimezone(self.zone)).get_next(datetime)
        except _CRON_ERRORS:
            return None
        return fire.astimezone(UTC)

    def _last_fire_at_or_before(self, at: datetime) -> datetime | None:
        assert self.cron is not None
        try:
            fired: datetime = croniter(self.cron, (at + _JUST_AFTER).astimezone(self.zone)).get_prev(datetime)
        except _CRON_ERRORS:
            return None
        return fired.astimezone(UTC)

    def _next_weekly_start(self, after: datetime) -> datetime | None:
        today = after.astimezone(self.zone).date()
        starts = (
            first_instant_at(datetime.combine(today + timedelta(days=offset), interval.start), self.zone)
            for offset in range(8)
            for interval in self.weekly
            if interval.starts_on(today + timedelta(days=offset))
        )
        return min((s for s in starts if s > after), default=None)
