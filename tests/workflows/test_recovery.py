"""When an incident resolves itself: the pure rules over its state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workflows.incident.recovery import (
    end_flapping,
    mark_flapping,
    quiet_deadline,
    resolved_by_technician,
    settle,
)
from workflows.types import (
    CorrelationPolicy,
    IncidentState,
    IncidentStatus,
    RecoveryMode,
    SeriesState,
    SeriesStatus,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def state(
    *series: SeriesStatus, status: IncidentStatus = IncidentStatus.new, **policy: object
) -> IncidentState:
    return IncidentState(
        incident_id="incident-co-1",
        company_id="co",
        aggregation_key="db|disk",
        generation=1,
        policy=CorrelationPolicy.model_validate(policy),
        status=status,
        series={f"s{i}": SeriesState(status=s, changed_at=NOW) for i, s in enumerate(series)},
    )


def test_resolves_when_every_series_recovered() -> None:
    after = settle(state(SeriesStatus.recovered, SeriesStatus.recovered), NOW)
    assert after.status == IncidentStatus.resolved
    assert after.resolution == "auto_resolved" and after.resolved_at == NOW


def test_stays_open_while_any_series_fires() -> None:
    after = settle(state(SeriesStatus.recovered, SeriesStatus.firing), NOW)
    assert after.status == IncidentStatus.new and after.resolution is None


def test_confirm_policy_waits_and_a_new_firing_clears_the_wait() -> None:
    waiting = settle(state(SeriesStatus.recovered, on_recovery=RecoveryMode.confirm), NOW)
    assert waiting.status == IncidentStatus.new and waiting.awaiting_confirmation
    waiting.series["s0"].status = SeriesStatus.firing
    assert not settle(waiting, NOW).awaiting_confirmation


def test_pending_incident_resolves_even_under_the_confirm_policy() -> None:
    pending = state(SeriesStatus.recovered, status=IncidentStatus.pending, on_recovery=RecoveryMode.confirm)
    assert settle(pending, NOW).status == IncidentStatus.resolved


def test_confirmation_by_a_technician_is_recorded_as_such() -> None:
    waiting = settle(state(SeriesStatus.recovered, on_recovery=RecoveryMode.confirm), NOW)
    assert resolved_by_technician(waiting, "usr_1", NOW).resolution == "confirmed"
    open_one = state(SeriesStatus.firing)
    done = resolved_by_technician(open_one, "usr_1", NOW)
    assert done.resolution == "resolved_manually" and done.resolved_by == "usr_1"


def test_more_recoveries_than_the_threshold_mark_a_series_flapping() -> None:
    base = state(SeriesStatus.recovered, flap_threshold=3)
    assert mark_flapping(base, {"s0": 3}).flapping_series == []
    assert mark_flapping(base, {"s0": 4}).flapping_series == ["s0"]
    assert mark_flapping(state(SeriesStatus.recovered, flap_threshold=0), {"s0": 99}).flapping_series == []


def test_flapping_incident_waits_a_quiet_window_then_resolves() -> None:
    flapping = mark_flapping(
        state(SeriesStatus.recovered, flap_threshold=1, flap_window_minutes=30), {"s0": 2}
    )
    held = settle(flapping, NOW)
    assert held.status == IncidentStatus.new
    assert quiet_deadline(held) == NOW + timedelta(minutes=30)
    after = end_flapping(held, NOW + timedelta(minutes=30))
    assert after.status == IncidentStatus.resolved and after.flapping_series == []


def test_no_quiet_wait_while_a_flapping_series_fires() -> None:
    firing = mark_flapping(state(SeriesStatus.firing, flap_threshold=1), {"s0": 2})
    assert firing.flapping_series == ["s0"] and quiet_deadline(firing) is None


# --- found by `make mutate`: what the tests above did not pin down -----------------------------------------


def test_rules_leave_the_state_they_are_given_unchanged() -> None:
    """The workflow keeps the state it passed in (for its query and its projection) until it swaps in the
    result, so a rule that changed its argument in place would change what the incident shows."""
    flapping = mark_flapping(state(SeriesStatus.recovered, flap_threshold=1), {"s0": 2})
    firing = state(SeriesStatus.recovered, SeriesStatus.firing, on_recovery=RecoveryMode.confirm)
    firing.awaiting_confirmation = True
    for given, rule in (
        (state(SeriesStatus.recovered, flap_threshold=1), lambda s: mark_flapping(s, {"s0": 2})),
        (flapping, lambda s: end_flapping(s, NOW)),
        (firing, lambda s: settle(s, NOW)),
        (state(SeriesStatus.recovered), lambda s: settle(s, NOW)),
        (state(SeriesStatus.firing), lambda s: resolved_by_technician(s, "usr_1", NOW)),
    ):
        before = given.model_dump()
        rule(given)
        assert given.model_dump() == before


def test_a_resolved_incident_is_not_resolved_again() -> None:
    done = settle(state(SeriesStatus.recovered), NOW)
    assert settle(done, NOW + timedelta(hours=1)).resolved_at == NOW
    flapping = mark_flapping(state(SeriesStatus.recovered, flap_threshold=1), {"s0": 2})
    assert quiet_deadline(resolved_by_technician(flapping, "usr_1", NOW)) is None
    empty = state()
    assert settle(empty, NOW) == empty  # no series yet: nothing to settle


def test_resolution_clears_the_wait_for_confirmation_and_is_stamped_now() -> None:
    waiting = settle(state(SeriesStatus.recovered, on_recovery=RecoveryMode.confirm), NOW)
    later = NOW + timedelta(minutes=7)
    done = resolved_by_technician(waiting, "usr_1", later)
    assert done.awaiting_confirmation is False
    assert done.resolved_at == done.updated_at == later
    refired = waiting.model_copy(deep=True)
    refired.series["s0"].status = SeriesStatus.firing
    assert settle(refired, NOW).awaiting_confirmation is False


def test_end_of_flapping_resolves_at_the_time_it_ends() -> None:
    flapping = mark_flapping(state(SeriesStatus.recovered, flap_threshold=1), {"s0": 2})
    later = NOW + timedelta(minutes=45)
    after = end_flapping(settle(flapping, NOW), later)
    assert after.resolved_at == after.updated_at == later
