"""Who is on call: rotations (daily, weekly, custom) handing off at local wall time across DST changes,
layers above layers, restrictions, overrides and shift swaps, and until when each answer holds."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.oncall.rotation import Layer, Roster

BERLIN = ZoneInfo("Europe/Berlin")  # 2025: 02:00 -> 03:00 on 30 March, 03:00 -> 02:00 on 26 October
NEW_YORK = ZoneInfo("America/New_York")  # 2025: 02:00 -> 03:00 on 9 March, 02:00 -> 01:00 on 2 November
ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC")
JUST_BEFORE = timedelta(microseconds=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def layer(
    participants: list[str],
    *,
    rotation: str = "daily",
    handoff: str = "09:00",
    starts_on: str = "2025-03-01",
    name: str = "primary",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "rotation": rotation,
        "handoff_time": handoff,
        "starts_on": starts_on,
        "participants": participants,
        **extra,
    }


def roster(timezone: str, *layers: dict[str, Any], overrides: tuple[dict[str, Any], ...] = ()) -> Roster:
    return Roster.parse(timezone=timezone, layers=layers, overrides=overrides)


# --- properties -------------------------------------------------------------------------------------------

rotations = st.one_of(
    st.tuples(st.sampled_from(["daily", "weekly"]), st.none()),
    # At least two hours, so that no DST gap (an hour at most) swallows a shift whole.
    st.tuples(st.just("custom"), st.integers(min_value=2, max_value=96)),
)
layers = st.builds(
    lambda rotation, handoff, starts_on, n: layer(
        [f"u{i}" for i in range(n)],
        rotation=rotation[0],
        handoff=handoff.strftime("%H:%M"),
        starts_on=starts_on.isoformat(),
        **({"shift_hours": rotation[1]} if rotation[1] else {}),
    ),
    rotations,
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(min_value=1, max_value=6),
)


# No deadline: a shared CI machine makes timing flaky, and these check answers, not speed.
@settings(deadline=None)
@given(st.sampled_from(ZONES), layers, st.integers(min_value=-86_400 * 30, max_value=86_400 * 366 * 3))
def test_every_instant_after_the_first_handoff_has_exactly_one_participant_of_its_layer(
    timezone: str, stored: dict[str, Any], seconds: int
) -> None:
    zone = ZoneInfo(timezone)
    rotation = Layer.parse(stored)
    at = rotation.shift_start(0, zone) + timedelta(seconds=seconds)

    shift = rotation.shift_at(at, zone)

    if seconds < 0:
        assert shift is None and rotation.on_call(at, zone) is None
        return
    assert shift is not None and shift.ends_at is not None
    assert shift.starts_at <= at < shift.ends_at
    assert shift.starts_at == rotation.shift_start(shift.index, zone)
    assert shift.user_id == stored["participants"][shift.index % len(stored["participants"])]
    assert rotation.on_call(at, zone) == shift.user_id


@settings(deadline=None)
@given(st.sampled_from(ZONES), layers, st.integers(min_value=0, max_value=2000), st.integers(1, 3))
def test_a_full_cycle_gives_every_participant_the_same_number_of_shifts(
    timezone: str, stored: dict[str, Any], first: int, cycles: int
) -> None:
    zone = ZoneInfo(timezone)
    rotation = Layer.parse(stored)
    count = len(stored["participants"]) * cycles
    starts = [rotation.shift_start(first + k, zone) for k in range(count)]

    on_call = Counter(rotation.on_call(start, zone) for start in starts)

    assert on_call == Counter({p: cycles for p in stored["participants"]})


@settings(deadline=None)
@given(
    st.sampled_from(["Europe/Berlin", "America/New_York"]),
    st.sampled_from(["daily", "weekly"]),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.dates(min_value=date(2021, 1, 1), max_value=date(2029, 12, 31)),
    st.integers(min_value=0, max_value=60),
)
def test_the_handoff_happens_at_the_local_handoff_time_whatever_the_offset(
    timezone: str, kind: str, handoff: time, starts_on: date, index: int
) -> None:
    zone = ZoneInfo(timezone)
    rotation = Layer.parse(
        layer(["a", "b"], rotation=kind, handoff=handoff.strftime("%H:%M"), starts_on=starts_on.isoformat())
    )
    day = starts_on + index * (rotation.length // timedelta(days=1)) * timedelta(days=1)
    wall = datetime.combine(day, handoff)

    at = rotation.shift_start(index, zone)

    local = at.astimezone(zone).replace(tzinfo=None)
    exists = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall
    if exists:
        assert local == wall  # on a repeated hour, the first pass
        assert at == wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    else:  # skipped by a spring-forward: as the clock jumps past it
        assert local > wall and (at - JUST_BEFORE).astimezone(zone).replace(tzinfo=None) < wall
    assert rotation.on_call(at, zone) == "ab"[index % 2]
    if index > 0:
        assert rotation.on_call(at - JUST_BEFORE, zone) == "ab"[(index - 1) % 2]


@settings(deadline=None)
@given(
    st.sampled_from(ZONES),
    st.lists(layers, min_size=1, max_size=3),
    st.integers(min_value=0, max_value=86_400 * 60),
    st.lists(st.tuples(st.integers(0, 86_400 * 60), st.integers(1, 86_400 * 3), st.booleans()), max_size=3),
)
def test_the_answer_holds_until_the_instant_named_and_changes_there(
    timezone: str, stored: list[dict[str, Any]], seconds: int, overrides: list[tuple[int, int, bool]]
) -> None:
    stored = [{**s, "name": f"layer {i}", "starts_on": "2024-12-30"} for i, s in enumerate(stored)]
    base = utc(2025, 1, 2)
    schedule = roster(
        timezone,
        *stored,
        overrides=tuple(
            {
                "user_id": "stand-in",
                "starts_at": base + timedelta(seconds=start),
                "ends_at": base + timedelta(seconds=start + length),
                **({"replaces_user_id": "u0"} if swap else {}),
            }
            for start, length, swap in overrides
        ),
    )
    at = base + timedelta(seconds=seconds)

    now = schedule.on_call(at)

    assert now.user_id is not None
    if now.until is not None:
        assert schedule.on_call_user(now.until) != now.user_id
        for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
            between = at + (now.until - at - JUST_BEFORE) * fraction
            assert schedule.on_call_user(between) == now.user_id
    for i, layer_now in enumerate(now.layers):
        if layer_now.until is not None:
            assert schedule.layer_on_call(i, layer_now.until) != layer_now.user_id
            assert schedule.layer_on_call(i, layer_now.until - JUST_BEFORE) == layer_now.user_id


# --- hand-offs on DST days, by example --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "day", "handoff", "at_utc"),
    [
        ("Europe/Berlin", date(2025, 3, 30), "09:00", utc(2025, 3, 30, 7)),  # CEST from 02:00
        ("Europe/Berlin", date(2025, 10, 26), "09:00", utc(2025, 10, 26, 8)),  # CET from 03:00
        ("America/New_York", date(2025, 3, 9), "09:00", utc(2025, 3, 9, 13)),  # EDT from 02:00
        ("America/New_York", date(2025, 11, 2), "09:00", utc(2025, 11, 2, 14)),  # EST from 02:00
        ("Europe/Berlin", date(2025, 3, 30), "02:30", utc(2025, 3, 30, 1)),  # skipped: at the jump, 03:00
        ("Europe/Berlin", date(2025, 10, 26), "02:30", utc(2025, 10, 26, 0, 30)),  # repeated: first pass
        ("America/New_York", date(2025, 3, 9), "02:30", utc(2025, 3, 9, 7)),  # skipped: at 03:00 EDT
        ("America/New_York", date(2025, 11, 2), "01:30", utc(2025, 11, 2, 5, 30)),  # first 01:30 (EDT)
    ],
)
def test_daily_handoff_on_a_dst_day_is_at_the_local_handoff_time(
    timezone: str, day: date, handoff: str, at_utc: datetime
) -> None:
    schedule = roster(timezone, layer(["early", "late"], handoff=handoff, starts_on=day.isoformat()))
    before = schedule.on_call(at_utc - JUST_BEFORE)
    assert before.user_id is None and before.until == at_utc
    assert schedule.on_call_user(at_utc) == "early"
    assert schedule.on_call(at_utc).until == schedule.layers[0].shift_start(1, ZoneInfo(timezone))


def test_a_daily_shift_over_a_dst_change_is_an_hour_shorter_or_longer() -> None:
    spring = Layer.parse(layer(["a", "b"], starts_on="2025-03-29"))
    autumn = Layer.parse(layer(["a", "b"], starts_on="2025-10-25"))
    assert spring.shift_start(1, BERLIN) - spring.shift_start(0, BERLIN) == timedelta(hours=23)
    assert autumn.shift_start(1, BERLIN) - autumn.shift_start(0, BERLIN) == timedelta(hours=25)


def test_twelve_hour_shifts_hand_off_at_the_same_wall_times_all_year() -> None:
    shifts = Layer.parse(
        layer(["day", "night"], rotation="custom", shift_hours=12, handoff="08:00", starts_on="2025-03-01")
    )
    for index in (0, 1, 57, 58, 59, 60, 460, 461):  # 29-30 March: spring forward; 26 October: back
        local = shifts.shift_start(index, NEW_YORK).astimezone(NEW_YORK)
        assert local.strftime("%H:%M") == ("08:00" if index % 2 == 0 else "20:00")


def test_a_one_hour_shift_swallowed_by_a_dst_gap_is_skipped_that_once() -> None:
    hourly = Layer.parse(
        layer(["a", "b", "c"], rotation="custom", shift_hours=1, handoff="00:00", starts_on="2025-03-30")
    )
    # 02:00-03:00 does not exist on that night in Berlin: shift 2 (c) starts and ends at the jump.
    assert hourly.shift_start(2, BERLIN) == hourly.shift_start(3, BERLIN) == utc(2025, 3, 30, 1)
    assert hourly.on_call(utc(2025, 3, 30, 1), BERLIN) == "a"  # shift 3
    assert hourly.on_call(utc(2025, 3, 30, 0, 59), BERLIN) == "b"


def test_weekly_rotation_hands_off_every_seventh_day() -> None:
    weekly = roster("Europe/Berlin", layer(["a", "b"], rotation="weekly", starts_on="2025-03-24"))
    assert weekly.on_call_user(utc(2025, 3, 30, 12)) == "a"
    assert weekly.on_call_user(utc(2025, 3, 31, 6, 59)) == "a"
    assert weekly.on_call_user(utc(2025, 3, 31, 7)) == "b"  # Monday 09:00 CEST
    assert weekly.on_call(utc(2025, 3, 31, 7)).until == utc(2025, 4, 7, 7)


# --- layers, restrictions, overrides and swaps ------------------------------------------------------------

WEEKDAYS_OFFICE = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}]


def test_a_higher_layer_wins_while_it_has_someone_and_the_lower_shows_through_outside_its_hours() -> None:
    schedule = roster(
        "Europe/Berlin",
        layer(["night-owl"], name="follow the sun"),
        layer(["alice", "bob"], name="office hours", restrictions=WEEKDAYS_OFFICE),
    )
    monday_10 = utc(2025, 6, 2, 8)  # 10:00 CEST
    now = schedule.on_call(monday_10)
    assert now.user_id == "bob"  # office hours started on 1 June, a Sunday, with alice
    assert [(layer.layer, layer.user_id) for layer in now.layers] == [
        ("follow the sun", "night-owl"),
        ("office hours", "bob"),
    ]
    assert now.until == utc(2025, 6, 2, 15)  # 17:00: the office closes
    assert now.layers[1].until == utc(2025, 6, 2, 15)
    assert now.layers[0].until is None  # one participant: no change in sight
    assert schedule.on_call_user(utc(2025, 6, 2, 15)) == "night-owl"
    assert schedule.on_call_user(utc(2025, 6, 7, 8)) == "night-owl"  # Saturday
    assert schedule.on_call(utc(2025, 6, 2, 15)).until == utc(2025, 6, 3, 7)  # back on Tuesday 09:00


def test_an_override_takes_the_schedule_over_and_the_later_of_two_wins() -> None:
    schedule = roster(
        "UTC",
        layer(["alice", "bob"], starts_on="2025-06-01", handoff="00:00"),
        overrides=(
            {"user_id": "carol", "starts_at": utc(2025, 6, 1, 10), "ends_at": utc(2025, 6, 1, 14)},
            {"user_id": "dave", "starts_at": utc(2025, 6, 1, 12), "ends_at": utc(2025, 6, 1, 13)},
        ),
    )
    assert schedule.on_call(utc(2025, 6, 1, 9)).until == utc(2025, 6, 1, 10)
    at_11 = schedule.on_call(utc(2025, 6, 1, 11))
    assert (at_11.user_id, at_11.by_override, at_11.until) == ("carol", True, utc(2025, 6, 1, 12))
    assert schedule.on_call_user(utc(2025, 6, 1, 12, 30)) == "dave"
    assert schedule.on_call_user(utc(2025, 6, 1, 13)) == "carol"
    after = schedule.on_call(utc(2025, 6, 1, 14))
    assert (after.user_id, after.by_override, after.until) == ("alice", False, utc(2025, 6, 2))
    assert at_11.layers[0].user_id == "alice"  # the layer itself is unchanged


def test_a_shift_swap_replaces_only_the_user_it_names() -> None:
    swap = {
        "user_id": "bob",
        "replaces_user_id": "alice",
        "starts_at": utc(2025, 6, 1),
        "ends_at": utc(2025, 6, 4),
    }
    schedule = roster(
        "UTC", layer(["alice", "carol"], starts_on="2025-06-01", handoff="00:00"), overrides=(swap,)
    )
    first = schedule.on_call(utc(2025, 6, 1, 5))
    assert (first.user_id, first.by_override, first.until) == ("bob", True, utc(2025, 6, 2))
    assert first.layers[0].user_id == "bob"
    assert schedule.on_call_user(utc(2025, 6, 2, 5)) == "carol"  # carol's own shift is untouched
    assert schedule.on_call_user(utc(2025, 6, 3, 5)) == "bob"
    assert schedule.on_call_user(utc(2025, 6, 5, 5)) == "alice"  # the swap is over


def test_nobody_is_on_call_before_the_first_handoff() -> None:
    schedule = roster("UTC", layer(["alice"], starts_on="2030-01-01"))
    now = schedule.on_call(utc(2029, 12, 31))
    assert now.user_id is None and now.until == utc(2030, 1, 1, 9)


@pytest.mark.parametrize(
    ("layers", "overrides", "reason"),
    [
        ([layer(["a"], rotation="custom")], [], "shift_hours from 1"),
        ([layer(["a"], shift_hours=4)], [], "for custom rotations only"),
        ([layer([])], [], "from 1 to 100 participants"),
        ([layer([f"u{i}" for i in range(101)])], [], "from 1 to 100 participants"),
        ([layer(["a"], rotation="custom", shift_hours=28 * 24 + 1)], [], "shift_hours from 1"),
        ([layer(["a"], name=" ")], [], "needs a name"),
        ([layer(["a"])], [{"starts_at": utc(2025, 1, 1), "ends_at": utc(2025, 2, 1)}], "needs a user_id"),
        (
            [layer(["a"])],
            [{"user_id": "b", "starts_at": utc(2025, 1, 1), "ends_at": utc(2025, 1, 1)}],
            "before its ends_at",
        ),
        ([layer(["a"]), layer(["b"])], [], "layer names must differ"),
        ([layer(["a"], handoff="24:00")], [], "between 00:00 and 23:59"),
        ([layer(["a"], rotation="hourly")], [], "hourly"),
        ([layer(["a"], restrictions=[{"days": ["fun"], "start": "09:00", "end": "17:00"}])], [], "days"),
        (
            [layer(["a"])],
            [{"user_id": "b", "starts_at": "2025-06-02T00:00:00Z", "ends_at": "2025-06-01T00:00:00Z"}],
            "before its ends_at",
        ),
        (
            [layer(["a"])],
            [{"user_id": "b", "starts_at": "2025-06-01T00:00:00", "ends_at": "2025-06-02T00:00:00"}],
            "UTC offset",
        ),
        (
            [layer(["a"])],
            [{"user_id": "b", "starts_at": "0001-01-01T00:00:00+01:00", "ends_at": "2025-06-02T00:00:00Z"}],
            "within years 1 to 9999",
        ),
        (
            [layer(["a"])],
            [
                {
                    "user_id": "b",
                    "replaces_user_id": "b",
                    "starts_at": utc(2025, 1, 1),
                    "ends_at": utc(2025, 2, 1),
                }
            ],
            "cannot replace its own user",
        ),
    ],
)
def test_an_unusable_roster_is_refused_with_the_reason(
    layers: list[dict[str, Any]], overrides: list[dict[str, Any]], reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        Roster.parse(timezone="UTC", layers=layers, overrides=overrides)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        roster("Mars/Olympus_Mons", layer(["a"]))


# --- found by `make mutate` --------------------------------------------------------------------------------


def test_the_largest_rosters_allowed_are_accepted() -> None:
    crowd = roster("UTC", layer([f"u{i}" for i in range(100)]))
    assert len(crowd.layers[0].participants) == 100
    four_weeks = roster(
        "UTC", layer(["a", "b"], rotation="custom", shift_hours=28 * 24, starts_on="2025-01-01")
    )
    assert four_weeks.on_call(utc(2025, 1, 29, 8, 59)).user_id == "a"
    assert four_weeks.on_call(utc(2025, 1, 29, 9)).user_id == "b"


def test_a_roster_names_its_layer_members_override_users_and_those_they_stand_in_for() -> None:
    swap = {
        "user_id": "carol",
        "replaces_user_id": "dave",
        "starts_at": utc(2025, 1, 1),
        "ends_at": utc(2025, 1, 2),
    }
    takeover = {"user_id": "erin", "starts_at": utc(2025, 1, 1), "ends_at": utc(2025, 1, 2)}
    schedule = roster(
        "UTC", layer(["alice", "bob"]), layer(["frank"], name="backup"), overrides=(swap, takeover)
    )
    assert schedule.participants() == {"alice", "bob", "frank", "carol", "dave", "erin"}


def test_an_override_read_back_from_its_stored_form_is_the_same_override() -> None:
    schedule = roster(
        "UTC",
        layer(["alice"]),
        overrides=(
            {
                "user_id": "bob",
                "replaces_user_id": "alice",
                "starts_at": utc(2025, 1, 1),
                "ends_at": utc(2025, 1, 2),
            },
            {"user_id": "carol", "starts_at": "2025-01-03T00:00:00+02:00", "ends_at": utc(2025, 1, 4)},
        ),
    )
    again = Roster.parse(
        timezone="UTC", layers=[layer(["alice"])], overrides=[o.stored() for o in schedule.overrides]
    )
    assert again.overrides == schedule.overrides


def test_a_night_restriction_across_midnight_ends_the_answer_at_its_local_end() -> None:
    # Mondays 22:00 until Tuesday 06:00, New York time (EST in January: UTC-5).
    nights = roster(
        "America/New_York",
        layer(
            ["alice"],
            starts_on="2025-01-01",
            restrictions=[{"days": ["mon"], "start": "22:00", "end": "06:00"}],
        ),
    )
    monday_11pm = utc(2025, 1, 7, 4)
    assert nights.on_call(monday_11pm).user_id == "alice"
    assert nights.on_call(monday_11pm).until == utc(2025, 1, 7, 11)  # Tuesday 06:00 local
    tuesday_2am = utc(2025, 1, 7, 7)
    assert nights.on_call(tuesday_2am).until == utc(2025, 1, 7, 11)
    sunday_noon = utc(2025, 1, 12, 17)
    assert nights.on_call(sunday_noon).user_id is None
    assert nights.on_call(sunday_noon).until == utc(2025, 1, 14, 3)  # Monday 22:00 local
