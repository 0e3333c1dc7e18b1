"""SLA clocks (workflows/incident/sla.py) as pure rules, with fixed instants: targets, warnings at 50, 75
and 90 %, the breach, pause and resume, retargeting, reopening and business hours. How the workflow
sleeps on them is tests/workflows/test_sla_workflow.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workflows.incident import sla
from workflows.types import (
    BusinessHours,
    CorrelationPolicy,
    IncidentState,
    IncidentStatus,
    Severity,
    SlaClock,
    SlaClockKind,
    SlaTarget,
)

T0 = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday
RESPONSE, RESOLUTION = SlaClockKind.response, SlaClockKind.resolution
MINUTE = timedelta(minutes=1)


def incident(severity: Severity = Severity.high, **policy: object) -> IncidentState:
    state = IncidentState(
        incident_id="in-1",
        company_id="co-1",
        aggregation_key="db-1|disk_full",
        generation=1,
        status=IncidentStatus.new,
        severity=severity,
        policy=CorrelationPolicy.model_validate(policy),
    )
    return sla.started(state, T0)


def clock(state: IncidentState, kind: SlaClockKind) -> SlaClock:
    assert state.sla is not None
    found = state.sla.response if kind is RESPONSE else state.sla.resolution
    assert found is not None
    return found


def events(state: IncidentState, now: datetime) -> list[tuple[SlaClockKind, int]]:
    return [(e.clock, e.percent) for e in sla.due_events(state, now)[1]]


def test_clocks_start_with_the_severitys_default_targets_and_their_deadlines() -> None:
    state = incident(Severity.high)  # 15 min to respond, 4 h to resolve
    assert (clock(state, RESPONSE).target_s, clock(state, RESOLUTION).target_s) == (15 * 60, 4 * 3600)
    assert clock(state, RESPONSE).deadline == T0 + 15 * MINUTE
    assert clock(state, RESOLUTION).deadline == T0 + timedelta(hours=4)
    assert [sla.targets(incident(s)) for s in (Severity.critical, Severity.medium, Severity.low)] == [
        (5 * 60, 3600),
        (30 * 60, 8 * 3600),
        (3600, 24 * 3600),
    ]


def test_a_companys_override_replaces_the_default_target_for_that_severity_only() -> None:
    overrides = {"high": SlaTarget(response_seconds=60, resolution_minutes=10)}
    assert sla.targets(incident(Severity.high, sla_overrides=overrides)) == (60, 600)
    assert sla.targets(incident(Severity.low, sla_overrides=overrides)) == (3600, 24 * 3600)


def test_warnings_fall_due_at_50_75_and_90_percent_then_the_breach_each_announced_once() -> None:
    state = incident(Severity.critical)  # 5 min to respond
    seen = []
    for percent in (50, 75, 90, 100):
        due = T0 + timedelta(seconds=300 * percent / 100)
        assert sla.next_due(state) == due
        assert events(state, due - timedelta(seconds=1)) == []
        state, announced = sla.due_events(state, due)
        seen += [(e.clock, e.percent, e.breach) for e in announced]
        assert sla.due_events(state, due)[1] == [], "announced once"
    assert seen == [
        (RESPONSE, 50, False),
        (RESPONSE, 75, False),
        (RESPONSE, 90, False),
        (RESPONSE, 100, True),
    ]
    response = clock(state, RESPONSE)
    assert response.breached and response.breached_at == T0 + 5 * MINUTE and response.warned == [50, 75, 90]
    assert sla.next_due(state) == T0 + 30 * MINUTE  # the resolution clock's 50 % comes next


def test_thresholds_passed_together_announce_only_the_furthest_of_each_clock() -> None:
    state = incident(Severity.critical)  # 5 min and 1 h
    later, announced = sla.due_events(state, T0 + 50 * MINUTE)  # a worker that was down
    assert [(e.clock, e.percent, e.deadline) for e in announced] == [
        (RESPONSE, 100, T0 + 5 * MINUTE),
        (RESOLUTION, 75, T0 + 60 * MINUTE),
    ]
    assert clock(later, RESPONSE).warned == [50, 75, 90] and clock(later, RESPONSE).breached
    assert clock(later, RESOLUTION).warned == [50, 75] and not clock(later, RESOLUTION).breached
    assert clock(later, RESOLUTION).breached_at is None
    assert clock(state, RESPONSE).warned == [], "the state handed in is left as it was"


def test_a_met_clock_stops_and_owes_nothing_more() -> None:
    state = sla.met(incident(Severity.critical), RESPONSE, T0 + 2 * MINUTE)
    response = clock(state, RESPONSE)
    assert response.met_at == T0 + 2 * MINUTE and response.deadline is None
    assert response.consumed_s == 120
    assert sla.next_due(state) == T0 + 30 * MINUTE
    assert events(state, T0 + 6 * MINUTE) == []
    again = sla.met(state, RESPONSE, T0 + 9 * MINUTE)
    assert clock(again, RESPONSE).met_at == T0 + 2 * MINUTE, "met once, at the first time"


def test_a_pause_stops_both_clocks_and_a_resume_moves_their_deadlines_by_its_length() -> None:
    state = incident(Severity.critical)
    held = sla.paused(state, "waiting for the customer", T0 + MINUTE)
    assert held.sla is not None and held.sla.paused and held.sla.pause_reason == "waiting for the customer"
    assert held.sla.paused_at == T0 + MINUTE
    assert sla.next_due(held) is None and events(held, T0 + timedelta(hours=3)) == []
    assert clock(held, RESPONSE).deadline is None and clock(held, RESPONSE).consumed_s == 60

    going = sla.resumed(held, T0 + 31 * MINUTE)
    assert going.sla is not None and not going.sla.paused
    assert (going.sla.paused_at, going.sla.pause_reason) == (None, "")
    assert clock(going, RESPONSE).deadline == T0 + 35 * MINUTE
    assert clock(going, RESOLUTION).deadline == T0 + 90 * MINUTE
    assert sla.next_due(going) == T0 + 32 * MINUTE + timedelta(seconds=30)  # 50 % of 5 min, 1 min used

    again = sla.paused(going, "", T0 + 32 * MINUTE)
    assert clock(again, RESPONSE).consumed_s == 120, "the minute before the pause and the one after it"


def test_a_new_target_keeps_the_time_already_used() -> None:
    state = incident(Severity.high)  # 15 min to respond
    assert not sla.targets_changed(state)
    state.severity = Severity.critical  # now 5 min
    assert sla.targets_changed(state)
    moved = sla.retargeted(state, T0 + 2 * MINUTE)
    assert not sla.targets_changed(moved)
    assert clock(moved, RESPONSE).target_s == 300 and clock(moved, RESOLUTION).target_s == 3600
    assert clock(moved, RESPONSE).consumed_s == 120
    assert clock(moved, RESPONSE).deadline == T0 + 5 * MINUTE
    assert clock(moved, RESOLUTION).deadline == T0 + 60 * MINUTE


def test_a_met_clock_is_not_retargeted_into_a_change() -> None:
    state = sla.met(incident(Severity.high), RESPONSE, T0 + MINUTE)
    state.policy = state.policy.model_copy(
        update={"sla_overrides": {Severity.high: SlaTarget(response_minutes=1, resolution_minutes=240)}}
    )
    assert not sla.targets_changed(state), "only the met response clock's target moved"


def test_a_reopened_incident_gets_a_new_resolution_clock_and_keeps_its_response() -> None:
    state = sla.met(incident(Severity.critical), RESPONSE, T0 + MINUTE)
    state = sla.met(state, RESOLUTION, T0 + 20 * MINUTE)
    state = sla.paused(state, "", T0 + 21 * MINUTE)
    again = sla.reopened(state, T0 + timedelta(hours=2))
    assert clock(again, RESPONSE) == clock(state, RESPONSE)
    resolution = clock(again, RESOLUTION)
    assert (resolution.started_at, resolution.consumed_s, resolution.met_at) == (
        T0 + timedelta(hours=2),
        0,
        None,
    )
    assert resolution.deadline == T0 + timedelta(hours=3)
    assert again.sla is not None and not again.sla.paused and again.sla.paused_at is None
    assert again.sla.pause_reason == ""


def test_an_incident_reopened_without_clocks_gets_a_resolution_clock() -> None:
    bare = IncidentState(incident_id="i", company_id="c", aggregation_key="k", generation=1)
    again = sla.reopened(bare.model_copy(update={"status": IncidentStatus.new}), T0)
    assert again.sla is not None and again.sla.response is None
    assert clock(again, RESOLUTION).deadline == T0 + timedelta(hours=24)  # low: a day to resolve


def test_clocks_start_once_an_incident_is_surfaced_and_stop_counting_once_it_closes() -> None:
    bare = IncidentState(incident_id="i", company_id="c", aggregation_key="k", generation=1)
    assert not sla.needs_clocks(bare)  # pending: fewer alerts than the company's minimum
    assert sla.needs_clocks(bare.model_copy(update={"status": IncidentStatus.new}))
    assert not sla.needs_clocks(bare.model_copy(update={"status": IncidentStatus.resolved}))
    assert not sla.needs_clocks(incident())
    assert sla.clocks(bare) == [] and sla.next_due(bare) is None and not sla.targets_changed(bare)
    assert sla.retargeted(bare, T0) is bare
    closed = incident().model_copy(update={"status": IncidentStatus.resolved})
    assert sla.next_due(closed) is None and events(closed, T0 + timedelta(days=1)) == []


def test_in_business_hours_only_working_time_counts() -> None:
    hours = BusinessHours(timezone="UTC", weekdays=[1, 2, 3, 4, 5], start="09:00", end="17:00")
    friday_afternoon = datetime(2026, 3, 6, 16, 30, tzinfo=UTC)
    state = sla.started(
        IncidentState(
            incident_id="i",
            company_id="c",
            aggregation_key="k",
            generation=1,
            status=IncidentStatus.new,
            severity=Severity.low,  # 1 h to respond
            policy=CorrelationPolicy(business_hours=hours),
        ),
        friday_afternoon,
    )
    monday = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    assert clock(state, RESPONSE).deadline == monday + 30 * MINUTE
    assert sla.next_due(state) == friday_afternoon + 30 * MINUTE  # 50 %: the half hour left on Friday
    held = sla.paused(state, "", monday + 10 * MINUTE)
    assert clock(held, RESPONSE).consumed_s == 40 * 60  # 30 min on Friday, 10 on Monday; none at the weekend


def test_a_met_clock_uses_no_more_time_when_the_others_are_paused_or_retargeted() -> None:
    state = sla.met(incident(Severity.critical), RESPONSE, T0 + 2 * MINUTE)
    held = sla.paused(state, "", T0 + 10 * MINUTE)
    assert clock(held, RESPONSE).consumed_s == 120 and clock(held, RESOLUTION).consumed_s == 600
    state.severity = Severity.low
    moved = sla.retargeted(state, T0 + 10 * MINUTE)
    assert clock(moved, RESPONSE).consumed_s == 120 and clock(moved, RESPONSE).deadline is None


def test_with_the_response_met_the_resolution_clock_still_warns() -> None:
    state = sla.met(incident(Severity.critical), RESPONSE, T0 + MINUTE)
    assert events(state, T0 + 30 * MINUTE) == [(RESOLUTION, 50)]


def test_an_incident_whose_clocks_are_all_met_owes_nothing_while_still_open() -> None:
    state = sla.met(sla.met(incident(), RESPONSE, T0 + MINUTE), RESOLUTION, T0 + 2 * MINUTE)
    assert state.status == IncidentStatus.new and sla.next_due(state) is None
    assert events(state, T0 + timedelta(days=2)) == []


def test_a_shorter_target_already_used_past_a_threshold_is_due_at_once() -> None:
    state = incident(Severity.high)  # 15 min to respond
    state.severity = Severity.critical  # 5 min, of which 4 are used by now
    moved = sla.retargeted(state, T0 + 4 * MINUTE)
    assert sla.next_due(moved) == T0 + 4 * MINUTE
    assert events(moved, T0 + 4 * MINUTE) == [(RESPONSE, 75)]


def test_every_rule_leaves_the_state_it_was_handed_as_it_was() -> None:
    """The workflow keeps its state until a write succeeds: a rule that changed its input in place would
    change the state behind the workflow's back."""
    original = incident(Severity.critical)
    kept = original.model_copy(deep=True)
    later = T0 + 3 * MINUTE
    sla.met(original, RESPONSE, later)
    sla.paused(original, "customer", later)
    original.severity = Severity.low
    sla.retargeted(original, later)
    sla.reopened(original, later)
    original.severity = Severity.critical
    assert original == kept
    held = sla.paused(original, "customer", later)
    held_copy = held.model_copy(deep=True)
    sla.resumed(held, later + MINUTE)
    assert held == held_copy
    fresh = IncidentState(incident_id="i", company_id="c", aggregation_key="k", generation=1)
    sla.started(fresh, T0)
    assert fresh.sla is None
