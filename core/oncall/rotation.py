"""Who is on call at an instant: rotations in layers, overrides and shift swaps, in a schedule's time zone.

Pure: no clock and no database, so every rule is tested with fixed instants (DST days included).

A layer's shifts start at local wall-clock times. Shift k of a daily rotation starts at the hand-off time
k days after `starts_on`, whatever daylight saving time does in between; a weekly one every 7 days; a
custom one every `shift_hours` of wall-clock time from the first hand-off (12-hour shifts from 08:00 hand
off at 08:00 and 20:00 all year). A shift across a DST change is therefore an hour shorter or longer. A
hand-off time that the clock skips happens as the clock jumps past it; in a repeated hour, on the first
pass. A custom shift that a DST gap swallows whole lasts no time, and its participant is skipped that once.

Layers are listed lowest first; the highest layer with someone on call wins (PagerDuty semantics). Before
its first hand-off, and outside its `restrictions` (weekly intervals, local time), a layer has nobody on
call, so the layers below show through.

Overrides beat layers. A shift swap is an override with `replaces_user_id`: its user stands in for that
user only, in whichever layer they are on call. An override without it takes the whole schedule over.
Where overrides overlap, the later one in the list wins.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from core.maintenance.schedule import WeeklyInterval, clock_time, first_instant_at, zone_named

T = TypeVar("T")

MAX_SHIFT_HOURS = 28 * 24
MAX_PARTICIPANTS = 100
# How far ahead "until" looks for the next change; past it (or past _MAX_STEPS boundaries that change
# nothing), the answer is "no change in sight" (None).
HORIZON = timedelta(days=366)
_MAX_STEPS = 5000


class RotationKind(StrEnum):
    daily = "daily"
    weekly = "weekly"
    custom = "custom"


def shift_length(kind: RotationKind, shift_hours: int | None) -> timedelta:
    if kind is RotationKind.daily:
        return timedelta(days=1)
    if kind is RotationKind.weekly:
        return timedelta(days=7)
    if shift_hours is None or not 1 <= shift_hours <= MAX_SHIFT_HOURS:
        raise ValueError(f"a custom rotation needs shift_hours from 1 to {MAX_SHIFT_HOURS}")
    return timedelta(hours=shift_hours)


@dataclass(frozen=True)
class Shift:
    index: int
    user_id: str
    starts_at: datetime
    ends_at: datetime | None  # None: beyond the calendar (year 9999)


@dataclass(frozen=True)
class Layer:
    name: str
    participants: tuple[str, ...]
    first_handoff: datetime  # naive, local wall-clock time
    length: timedelta  # of wall-clock time
    restrictions: tuple[WeeklyInterval, ...] = ()

    @classmethod
    def parse(cls, stored: Mapping[str, Any]) -> Layer:
        """A layer as stored (see the module docstring); ValueError with the reason otherwise."""
        name = str(stored.get("name") or "").strip()
        if not name:
            raise ValueError("a layer needs a name")
        kind = RotationKind(str(stored.get("rotation")))
        if kind is not RotationKind.custom and stored.get("shift_hours") is not None:
            raise ValueError(f"layer {name!r}: shift_hours is for custom rotations only")
        participants = tuple(str(p) for p in stored.get("participants") or [])
        if not participants or len(participants) > MAX_PARTICIPANTS:
            raise ValueError(f"layer {name!r} needs from 1 to {MAX_PARTICIPANTS} participants")
        starts_on = stored.get("starts_on")
        day = starts_on if isinstance(starts_on, date) else date.fromisoformat(str(starts_on))
        handoff = clock_time(str(stored.get("handoff_time")))
        return cls(
            name=name,
            participants=participants,
            first_handoff=datetime.combine(day, handoff),
            length=shift_length(kind, stored.get("shift_hours")),
            restrictions=tuple(WeeklyInterval.parse(r) for r in stored.get("restrictions") or []),
        )

    def shift_start(self, index: int, zone: ZoneInfo) -> datetime:
        """When shift `index` starts (UTC); OverflowError beyond the calendar."""
        return first_instant_at(self.first_handoff + index * self.length, zone)

    def shift_at(self, at: datetime, zone: ZoneInfo) -> Shift | None:
        """The rotation's shift at `at`, ignoring restrictions; None before the first hand-off."""
        local = at.astimezone(zone).replace(tzinfo=None)
        # Wall-clock and real time differ by at most an offset change here: step to the exact shift.
        index = (local - self.first_handoff) // self.length
        while self._starts_by(index + 1, at, zone):
            index += 1
        while index >= 0 and not self._starts_by(index, at, zone):
            index -= 1
        if index < 0:
            return None
        try:
            ends_at: datetime | None = self.shift_start(index + 1, zone)
        except OverflowError:
            ends_at = None
        user_id = self.participants[index % len(self.participants)]
        return Shift(index, user_id, self.shift_start(index, zone), ends_at)

    def _starts_by(self, index: int, at: datetime, zone: ZoneInfo) -> bool:
        try:
            return self.shift_start(index, zone) <= at
        except OverflowError:
            return index < 0

    def _next_handoff_to_another(self, index: int) -> int | None:
        """The next shift after `index` that someone else takes; None when everyone is the same user."""
        count = len(self.participants)
        current = self.participants[index % count]
        return next(
            (
                index + step
                for step in range(1, count)
                if self.participants[(index + step) % count] != current
            ),
            None,
        )

    def allows(self, at: datetime, zone: ZoneInfo) -> bool:
        """Inside its restrictions (always, without any)."""
        local = at.astimezone(zone)
        return not self.restrictions or any(r.covers(local) for r in self.restrictions)

    def on_call(self, at: datetime, zone: ZoneInfo) -> str | None:
        shift = self.shift_at(at, zone)
        return shift.user_id if shift is not None and self.allows(at, zone) else None

    def next_boundary(self, after: datetime, zone: ZoneInfo) -> datetime | None:
        """The next instant after `after` at which its answer may change: a hand-off or a restriction edge."""
        candidates: list[datetime] = []
        shift = self.shift_at(after, zone)
        handoff = 0 if shift is None else self._next_handoff_to_another(shift.index)
        if handoff is not None:
            with contextlib.suppress(OverflowError):  # beyond the calendar: no more hand-offs
                candidates.append(self.shift_start(handoff, zone))
        candidates.extend(_restriction_edges(self.restrictions, after, zone))
        return min((c for c in candidates if c > after), default=None)


def _restriction_edges(
    intervals: Iterable[WeeklyInterval], after: datetime, zone: ZoneInfo
) -> list[datetime]:
    today = after.astimezone(zone).date()
    edges = []
    for offset in range(-1, 9):
        day = today + timedelta(days=offset)
        for interval in intervals:
            if not interval.starts_on(day):
                continue
            end_day = day + timedelta(days=1) if interval.crosses_midnight else day
            edges.append(first_instant_at(datetime.combine(day, interval.start), zone))
            edges.append(first_instant_at(datetime.combine(end_day, interval.end), zone))
    return edges


@dataclass(frozen=True)
class Override:
    user_id: str
    starts_at: datetime
    ends_at: datetime
    replaces_user_id: str | None = None

    @classmethod
    def parse(cls, stored: Mapping[str, Any]) -> Override:
        starts_at, ends_at = _instant(stored.get("starts_at")), _instant(stored.get("ends_at"))
        if not starts_at < ends_at:
            raise ValueError("an override's starts_at must be before its ends_at")
        user_id, replaces = str(stored.get("user_id") or ""), stored.get("replaces_user_id")
        if not user_id:
            raise ValueError("an override needs a user_id")
        if replaces is not None and str(replaces) == user_id:
            raise ValueError("an override cannot replace its own user")
        return cls(user_id, starts_at, ends_at, None if replaces is None else str(replaces))

    def covers(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    def stored(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "replaces_user_id": self.replaces_user_id,
        }


def _instant(value: Any) -> datetime:
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if at.tzinfo is None:
        raise ValueError("override times need a UTC offset, such as 2030-01-31T22:00:00Z")
    try:
        return at.astimezone(UTC)
    except OverflowError:
        raise ValueError("override times must fall within years 1 to 9999 in UTC") from None


@dataclass(frozen=True)
class LayerOnCall:
    layer: str
    user_id: str | None  # after shift swaps
    until: datetime | None  # when the layer's answer next changes; None: not within a year


@dataclass(frozen=True)
class OnCall:
    user_id: str | None
    until: datetime | None
    by_override: bool
    layers: tuple[LayerOnCall, ...]


@dataclass(frozen=True)
class Roster:
    zone: ZoneInfo
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()

    @classmethod
    def parse(
        cls,
        *,
        timezone: str,
        layers: Iterable[Mapping[str, Any]],
        overrides: Iterable[Mapping[str, Any]] = (),
    ) -> Roster:
        """Checks every layer and override; ValueError with the reason otherwise."""
        parsed = tuple(Layer.parse(layer) for layer in layers)
        names = [layer.name for layer in parsed]
        if len(set(names)) != len(names):
            raise ValueError("layer names must differ")
        return cls(zone_named(timezone), parsed, tuple(Override.parse(o) for o in overrides))

    def participants(self) -> set[str]:
        """Every user the roster names, in layers and overrides."""
        named = {p for layer in self.layers for p in layer.participants}
        named |= {o.user_id for o in self.overrides}
        return named | {o.replaces_user_id for o in self.overrides if o.replaces_user_id}

    def layer_on_call(self, index: int, at: datetime) -> str | None:
        """Who layer `index` has on call at `at`, after shift swaps."""
        user_id = self.layers[index].on_call(at, self.zone)
        for override in self.overrides:
            if override.replaces_user_id == user_id and user_id is not None and override.covers(at):
                user_id = override.user_id
        return user_id

    def on_call_user(self, at: datetime) -> str | None:
        """Who is on call at `at`: the latest override taking the schedule over, else the highest layer."""
        taken_over = [o for o in self.overrides if o.replaces_user_id is None and o.covers(at)]
        if taken_over:
            return taken_over[-1].user_id
        return self._highest(lambda i: self.layer_on_call(i, at))

    def on_call(self, at: datetime) -> OnCall:
        """Who is on call at `at`, overall and per layer, each with when it next changes."""
        user_id = self.on_call_user(at)
        by_rotation = self._highest(lambda i: self.layers[i].on_call(at, self.zone))
        layers = tuple(self._layer_now(i, at) for i in range(len(self.layers)))
        until = _next_change(self.on_call_user, at, self._next_overall_boundary)
        return OnCall(user_id, until, user_id != by_rotation, layers)

    def _highest(self, user_of_layer: Callable[[int], str | None]) -> str | None:
        return next(
            (u for i in reversed(range(len(self.layers))) if (u := user_of_layer(i)) is not None), None
        )

    def _layer_now(self, index: int, at: datetime) -> LayerOnCall:
        layer = self.layers[index]

        def user_at(t: datetime) -> str | None:
            return self.layer_on_call(index, t)

        def boundary_after(t: datetime) -> datetime | None:
            return self._next_boundary(t, [layer])

        return LayerOnCall(layer.name, user_at(at), _next_change(user_at, at, boundary_after))

    def _next_overall_boundary(self, after: datetime) -> datetime | None:
        # Layers below the one answering cannot change the answer before a layer at or above it changes.
        answering = next(
            (i for i in reversed(range(len(self.layers))) if self.layer_on_call(i, after) is not None), 0
        )
        return self._next_boundary(after, self.layers[answering:])

    def _next_boundary(self, after: datetime, layers: Iterable[Layer]) -> datetime | None:
        candidates = [layer.next_boundary(after, self.zone) for layer in layers]
        candidates += [o.starts_at for o in self.overrides] + [o.ends_at for o in self.overrides]
        return min((c for c in candidates if c is not None and c > after), default=None)


def _next_change(
    value_at: Callable[[datetime], T], at: datetime, boundary_after: Callable[[datetime], datetime | None]
) -> datetime | None:
    """The first boundary after `at` where `value_at` differs from its value at `at`, within HORIZON."""
    now = value_at(at)
    t: datetime | None = at
    for _ in range(_MAX_STEPS):
        assert t is not None
        t = boundary_after(t)
        if t is None or t > at + HORIZON:
            return None
        if value_at(t) != now:
            return t
    return None
