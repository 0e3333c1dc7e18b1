"""SLA clocks of an incident: response (until acknowledged) and resolution (until resolved), warnings at
50, 75 and 90 % and a breach at 100 %, in working time when the company keeps business hours. Pure: the
workflow sleeps until `next_due` and hands what `due_events` returns to notifications and escalation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from workflows.incident.business_hours import add_working_time, working_seconds
from workflows.types import (
    OPEN_STATUSES,
    IncidentState,
    IncidentStatus,
    Severity,
    SlaClock,
    SlaClockKind,
    SlaState,
)

WARNING_PERCENTS = (50, 75, 90)
BREACH_PERCENT = 100
# The MSP's defaults (response, resolution) in seconds; company policy `sla_overrides` replaces them.
DEFAULT_TARGETS = {
    Severity.critical: (5 * 60, 60 * 60),
    Severity.high: (15 * 60, 4 * 3600),
    Severity.medium: (30 * 60, 8 * 3600),
    Severity.low: (60 * 60, 24 * 3600),
}


@dataclass(frozen=True)
class SlaEvent:
    clock: SlaClockKind
    percent: int  # 50, 75, 90, or 100 for the breach
    deadline: datetime | None

    @property
    def breach(self) -> bool:
        return self.percent >= BREACH_PERCENT


def targets(state: IncidentState) -> tuple[int, int]:
    override = state.policy.sla_overrides.get(state.severity)
    if override is not None:
        return override.response_s, override.resolution_s
    return DEFAULT_TARGETS[state.severity]


def started(state: IncidentState, now: datetime) -> IncidentState:
    """Both clocks start when the incident becomes visible."""
    s = state.model_copy(deep=True)
    response, resolution = targets(s)
    s.sla = SlaState(
        response=_clock(SlaClockKind.response, response, now),
        resolution=_clock(SlaClockKind.resolution, resolution, now),
    )
    return _rearmed(s)


def _clock(kind: SlaClockKind, target_s: int, now: datetime) -> SlaClock:
    return SlaClock(kind=kind, target_s=target_s, started_at=now, as_of=now)


def clocks(state: IncidentState) -> list[SlaClock]:
    if state.sla is None:
        return []
    return [c for c in (state.sla.response, state.sla.resolution) if c is not None]


def _threshold_instant(state: IncidentState, clock: SlaClock, percent: int) -> datetime:
    owed = clock.target_s * percent / 100 - clock.consumed_s
    return add_working_time(state.policy.business_hours, clock.as_of, max(owed, 0.0))


def _pending_percents(clock: SlaClock) -> list[int]:
    if not clock.running or clock.met_at is not None:
        return []
    pending = [p for p in WARNING_PERCENTS if p not in clock.warned]
    return [*pending, BREACH_PERCENT] if not clock.breached else []


def next_due(state: IncidentState) -> datetime | None:
    """The next instant an SLA event falls due (None: no clock running, the incident is closed, or its
    company keeps no SLA)."""
    if state.status not in OPEN_STATUSES or state.sla is None or state.sla.paused:
        return None
    if not state.policy.sla_tracking:
        return None
    instants = [
        _threshold_instant(state, clock, percent)
        for clock in clocks(state)
        for percent in _pending_percents(clock)
    ]
    return min(instants, default=None)


def due_events(state: IncidentState, now: datetime) -> tuple[IncidentState, list[SlaEvent]]:
    """Every threshold reached by `now`, marked as announced. Several at once (a short target, a worker
    that was down) announce only the furthest of each clock: a breach makes its warnings moot."""
    due = next_due(state)
    if due is None or due > now:
        return state, []
    s = state.model_copy(deep=True)
    events = []
    for clock in clocks(s):
        reached = [p for p in _pending_percents(clock) if _threshold_instant(s, clock, p) <= now]
        if not reached:
            continue
        furthest = max(reached)
        clock.warned = sorted({*clock.warned, *(p for p in reached if p < BREACH_PERCENT)})
        if furthest >= BREACH_PERCENT:
            clock.breached = True
            clock.breached_at = now
        events.append(SlaEvent(clock=clock.kind, percent=furthest, deadline=clock.deadline))
    return s, events


def _consume(state: IncidentState, clock: SlaClock, now: datetime) -> None:
    if clock.running and clock.met_at is None:
        clock.consumed_s += working_seconds(state.policy.business_hours, clock.as_of, now)
    clock.as_of = now


def _rearmed(s: IncidentState) -> IncidentState:
    for clock in clocks(s):
        running = clock.running and clock.met_at is None and not (s.sla and s.sla.paused)
        clock.deadline = _threshold_instant(s, clock, BREACH_PERCENT) if running else None
    return s


def met(state: IncidentState, kind: SlaClockKind, now: datetime) -> IncidentState:
    """Acknowledged (response) or resolved (resolution): the clock stops, breached or not."""
    s = state.model_copy(deep=True)
    for clock in clocks(s):
        if clock.kind == kind and clock.met_at is None:
            _consume(s, clock, now)
            clock.met_at = now
            clock.deadline = None
    return s


def paused(state: IncidentState, reason: str, now: datetime) -> IncidentState:
    s = state.model_copy(deep=True)
    assert s.sla is not None
    for clock in clocks(s):
        _consume(s, clock, now)
    s.sla.paused, s.sla.paused_at, s.sla.pause_reason = True, now, reason
    return _rearmed(s)


def resumed(state: IncidentState, now: datetime) -> IncidentState:
    s = state.model_copy(deep=True)
    assert s.sla is not None
    for clock in clocks(s):
        clock.as_of = now  # the pause used no time
    s.sla.paused, s.sla.paused_at, s.sla.pause_reason = False, None, ""
    return _rearmed(s)


def retargeted(state: IncidentState, now: datetime) -> IncidentState:
    """Severity or policy changed: the time used so far stays used; the target is the new one."""
    if state.sla is None:
        return state
    s = state.model_copy(deep=True)
    response, resolution = targets(s)
    for clock in clocks(s):
        _consume(s, clock, now)
        clock.target_s = response if clock.kind == SlaClockKind.response else resolution
    return _rearmed(s)


def reopened(state: IncidentState, now: datetime) -> IncidentState:
    """A new resolution clock; the response clock stays as it ended."""
    s = state.model_copy(deep=True)
    _, resolution = targets(s)
    if s.sla is None:
        s.sla = SlaState()
    s.sla.resolution = _clock(SlaClockKind.resolution, resolution, now)
    s.sla.paused, s.sla.paused_at, s.sla.pause_reason = False, None, ""
    return _rearmed(s)


def needs_clocks(state: IncidentState) -> bool:
    return (
        state.sla is None
        and state.policy.sla_tracking
        and state.status in OPEN_STATUSES
        and state.status != IncidentStatus.pending
    )


def targets_changed(state: IncidentState) -> bool:
    """Severity or policy moved a running clock's target (the incident re-arms its timers)."""
    if state.sla is None:
        return False
    response, resolution = targets(state)
    wanted = {SlaClockKind.response: response, SlaClockKind.resolution: resolution}
    return any(c.target_s != wanted[c.kind] for c in clocks(state) if c.met_at is None)
