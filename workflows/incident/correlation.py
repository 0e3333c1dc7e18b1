"""How alerts group into incidents and how an incident's state absorbs them. Pure functions."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from workflows.incident.scoring import priority_score
from workflows.types import (
    INCIDENT_WORKFLOW_PREFIX,
    OPEN_STATUSES,
    AggregationMode,
    AlertRef,
    AlertStatus,
    AuditEvent,
    IncidentStart,
    IncidentState,
    IncidentStatus,
    SeriesState,
    SeriesStatus,
)

RECENT_ALERT_IDS_KEPT = 50


def aggregation_key(mode: AggregationMode, *, asset: str, signature: str) -> str:
    return asset if mode == AggregationMode.asset else f"{asset}|{signature}"


def series_fingerprint(*, asset: str, signature: str) -> str:
    """Identifies one alert series, so that a `resolved` notice finds the `firing` ones it ends."""
    return hashlib.sha256(f"{asset}\x1f{signature}".encode()).hexdigest()[:16]


def incident_workflow_id(company_id: str, key: str, generation: int) -> str:
    """Deterministic, so concurrent first alerts for one key all name the same workflow."""
    key_hash = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{INCIDENT_WORKFLOW_PREFIX}-{company_id}-{key_hash}-{generation}"


def accepts_alerts(state: IncidentState, alerts: Iterable[AlertRef]) -> str | None:
    """Why this incident refuses these alerts (None when it takes them).

    An alert joins while the incident is open and arrived within the correlation window of the
    incident's latest alert. Times are when we received the alerts, not when we process them,
    so a backlog or a worker outage does not change how alerts group.
    """
    if state.status not in OPEN_STATUSES:
        return f"incident is {state.status.value}"
    firing = [a for a in alerts if a.status == AlertStatus.firing]
    if state.last_alert_at is None or not firing:
        return None  # a recovery notice ends its series in the open incident, however late
    window = timedelta(minutes=state.policy.window_minutes)
    earliest = min(a.received_at for a in firing)
    if earliest - state.last_alert_at > window:
        return f"correlation window of {state.policy.window_minutes} min has passed"
    return None


def new_incident_state(start: IncidentStart) -> IncidentState:
    first = start.alerts[0]
    return IncidentState(
        incident_id=start.incident_id,
        company_id=start.company_id,
        company_name=start.company_name,
        aggregation_key=start.aggregation_key,
        generation=start.generation,
        policy=start.policy,
        critical_asset=start.critical_asset,
        asset_name=first.asset_name,
        asset_id=first.asset_id,
        signature=first.signature,
        category=first.category,
        title=first.summary or f"{first.signature} on {first.asset_name}",
        severity=first.severity,
    )


def absorb(state: IncidentState, alerts: list[AlertRef], now: datetime) -> IncidentState:
    """A copy of `state` with `alerts` counted in: severity, sources, series, score, status."""
    s = state.model_copy(deep=True)
    for alert in sorted(alerts, key=lambda a: a.received_at):
        if s.first_alert_at is None or alert.received_at < s.first_alert_at:
            s.first_alert_at = alert.received_at
        if s.last_alert_at is None or alert.received_at > s.last_alert_at:
            s.last_alert_at = alert.received_at
        s.recent_alert_ids.append(alert.id)
        if alert.status == AlertStatus.resolved:
            s.recovery_count += 1
            s.series[alert.fingerprint] = SeriesState(
                status=SeriesStatus.recovered, changed_at=alert.received_at
            )
            continue
        s.alert_count += 1
        s.series[alert.fingerprint] = SeriesState(status=SeriesStatus.firing, changed_at=alert.received_at)
        if alert.severity.rank > s.severity.rank:
            s.severity = alert.severity
        if alert.tool_source not in s.tool_sources:
            s.tool_sources.append(alert.tool_source)
        if s.category is None and alert.category:
            s.category = alert.category
    del s.recent_alert_ids[:-RECENT_ALERT_IDS_KEPT]
    if s.created_at is None:
        s.created_at = now
    s.updated_at = now
    if s.status == IncidentStatus.pending and s.alert_count >= s.policy.min_alerts:
        s.status = IncidentStatus.new
    if s.first_alert_at and s.last_alert_at:
        s.priority_score = priority_score(
            severity=s.severity,
            alert_count=s.alert_count,
            distinct_tool_sources=len(s.tool_sources),
            critical_asset=s.critical_asset,
            first_alert_at=s.first_alert_at,
            latest_alert_at=s.last_alert_at,
        )
    return s


def audit_events(before: IncidentState, after: IncidentState) -> list[AuditEvent]:
    """What changed between two states that the audit log should show."""
    events = []
    if before.created_at is None and after.created_at is not None:
        events.append(AuditEvent(action="incident.opened", after=_audit_view(after)))
    elif after.resolution and not before.resolution:
        events.append(
            AuditEvent(
                action="incident.resolved",
                before={"status": before.status.value},
                after={
                    "status": after.status.value,
                    "resolution": after.resolution,
                    "resolved_by": after.resolved_by,
                },
            )
        )
    elif before.status != after.status:
        events.append(
            AuditEvent(
                action="incident.status_changed",
                before={"status": before.status.value},
                after={"status": after.status.value},
            )
        )
    newly_recovered = sorted(set(after.recovered_series) - set(before.recovered_series))
    if newly_recovered:
        events.append(AuditEvent(action="incident.series_recovered", after={"series": newly_recovered}))
    newly_flapping = sorted(set(after.flapping_series) - set(before.flapping_series))
    if newly_flapping:
        events.append(AuditEvent(action="incident.series_flapping", after={"series": newly_flapping}))
    if after.awaiting_confirmation and not before.awaiting_confirmation:
        events.append(
            AuditEvent(action="incident.awaiting_confirmation", after={"series": after.recovered_series})
        )
    return events


def _audit_view(state: IncidentState) -> dict[str, Any]:
    return {
        "status": state.status.value,
        "severity": state.severity.value,
        "priority_score": state.priority_score,
        "aggregation_key": state.aggregation_key,
        "asset_name": state.asset_name,
        "signature": state.signature,
    }


def unique_alerts(alerts: list[AlertRef], already: set[str]) -> list[AlertRef]:
    """`alerts` without repeats and without those in `already`, in their order."""
    seen = set(already)
    out = []
    for alert in alerts:
        if alert.id not in seen:
            seen.add(alert.id)
            out.append(alert)
    return out
