"""When an incident resolves itself: recovered series, flapping series, and the company's recovery policy.

Pure functions over `IncidentState`, applied after new alerts are absorbed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from workflows.types import (
    OPEN_STATUSES,
    AlertRef,
    AlertStatus,
    IncidentState,
    IncidentStatus,
    RecoveryMode,
    SeriesStatus,
)

AUTO_RESOLVED = "auto_resolved"
CONFIRMED = "confirmed"
RESOLVED_MANUALLY = "resolved_manually"


def recovering_series(alerts: list[AlertRef]) -> list[str]:
    """Series that these alerts recover, whose flap count must be looked up."""
    return sorted({a.fingerprint for a in alerts if a.status == AlertStatus.resolved})


def mark_flapping(state: IncidentState, recoveries: dict[str, int]) -> IncidentState:
    """Marks series that recovered more than `flap_threshold` times in the flap window. Once flapping, a
    series stays so until it has been quiet for a whole window (see `end_flapping`)."""
    threshold = state.policy.flap_threshold
    if threshold <= 0:
        return state
    s = state.model_copy(deep=True)
    for fingerprint, count in recoveries.items():
        series = s.series.get(fingerprint)
        if series is not None and count > threshold:
            series.flapping = True
    return s


def settle(state: IncidentState, now: datetime) -> IncidentState:
    """Resolves the incident, or asks for confirmation, once every series has recovered for good."""
    if state.status not in OPEN_STATUSES or not state.series:
        return state
    s = state.model_copy(deep=True)
    if any(series.status == SeriesStatus.firing for series in s.series.values()):
        s.awaiting_confirmation = False
        return s
    if s.flapping_series:
        return s  # a flapping series may fire again any moment: wait until it stays quiet
    # A pending incident was never surfaced, so there is nobody to confirm it.
    if s.policy.on_recovery == RecoveryMode.auto_resolve or s.status == IncidentStatus.pending:
        return resolved(s, AUTO_RESOLVED, now, by=None)
    s.awaiting_confirmation = True
    return s


def quiet_deadline(state: IncidentState) -> datetime | None:
    """When the flapping series will have stayed recovered for a whole flap window (None: no such wait)."""
    if state.status not in OPEN_STATUSES or not state.flapping_series:
        return None
    if any(series.status == SeriesStatus.firing for series in state.series.values()):
        return None
    last_change = max(state.series[f].changed_at for f in state.flapping_series)
    return last_change + timedelta(minutes=state.policy.flap_window_minutes)


def end_flapping(state: IncidentState, now: datetime) -> IncidentState:
    s = state.model_copy(deep=True)
    for series in s.series.values():
        series.flapping = False
    s.updated_at = now
    return settle(s, now)


def resolved(state: IncidentState, resolution: str, now: datetime, by: str | None) -> IncidentState:
    s = state.model_copy(deep=True)
    s.status = IncidentStatus.resolved
    s.resolution = resolution
    s.resolved_at = now
    s.resolved_by = by
    s.awaiting_confirmation = False
    s.updated_at = now
    return s


def resolved_by_technician(state: IncidentState, user_id: str, now: datetime) -> IncidentState:
    resolution = CONFIRMED if state.awaiting_confirmation else RESOLVED_MANUALLY
    return resolved(state, resolution, now, by=user_id)
