from datetime import UTC, datetime, timedelta

from workflows.incident.correlation import (
    absorb,
    accepts_alerts,
    aggregation_key,
    incident_workflow_id,
    new_incident_state,
)
from workflows.types import (
    AggregationMode,
    AlertRef,
    AlertStatus,
    CorrelationPolicy,
    IncidentStart,
    IncidentStatus,
    SeriesStatus,
    Severity,
)

T0 = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)


def ref(
    i: int,
    *,
    at: datetime = T0,
    severity: Severity = Severity.medium,
    status: AlertStatus = AlertStatus.firing,
    tool: str = "datadog",
    fingerprint: str = "fp1",
) -> AlertRef:
    return AlertRef(
        id=f"al_{i}",
        received_at=at,
        severity=severity,
        status=status,
        tool_source=tool,
        fingerprint=fingerprint,
        asset_name="db-01",
        signature="disk_full",
    )


def start(policy: CorrelationPolicy | None = None) -> IncidentStart:
    return IncidentStart(
        incident_id="incident-x-1",
        company_id="co_x",
        aggregation_key="db-01|disk_full",
        generation=1,
        policy=policy or CorrelationPolicy(),
        alerts=[ref(0)],
    )


def test_aggregation_key_defaults_to_asset_and_signature() -> None:
    assert aggregation_key(AggregationMode.asset_signature, asset="db-01", signature="disk") == "db-01|disk"
    assert aggregation_key(AggregationMode.asset, asset="db-01", signature="disk") == "db-01"


def test_workflow_id_is_the_same_for_the_same_key_and_generation() -> None:
    assert incident_workflow_id("co", "a|b", 1) == incident_workflow_id("co", "a|b", 1)
    assert incident_workflow_id("co", "a|b", 1) != incident_workflow_id("co", "a|b", 2)
    assert incident_workflow_id("co", "a|b", 1) != incident_workflow_id("co2", "a|b", 1)


def test_alert_within_window_of_last_alert_joins() -> None:
    state = absorb(new_incident_state(start()), [ref(0)], T0)
    assert accepts_alerts(state, [ref(1, at=T0 + timedelta(minutes=15))]) is None


def test_alert_after_window_is_refused_with_reason() -> None:
    state = absorb(new_incident_state(start()), [ref(0)], T0)
    reason = accepts_alerts(state, [ref(1, at=T0 + timedelta(minutes=15, seconds=1))])
    assert reason is not None and "window" in reason


def test_window_follows_the_company_policy() -> None:
    state = absorb(new_incident_state(start(CorrelationPolicy(window_minutes=5))), [ref(0)], T0)
    assert accepts_alerts(state, [ref(1, at=T0 + timedelta(minutes=6))]) is not None


def test_late_recovery_still_reaches_the_open_incident() -> None:
    state = absorb(new_incident_state(start()), [ref(0)], T0)
    late = ref(1, at=T0 + timedelta(hours=3), status=AlertStatus.resolved)
    assert accepts_alerts(state, [late]) is None


def test_resolved_incident_refuses_alerts() -> None:
    state = absorb(new_incident_state(start()), [ref(0)], T0)
    state.status = IncidentStatus.resolved
    assert accepts_alerts(state, [ref(1)]) == "incident is resolved"


def test_absorb_counts_raises_severity_and_collects_sources() -> None:
    state = absorb(
        new_incident_state(start()), [ref(0), ref(1, severity=Severity.critical, tool="zabbix")], T0
    )
    assert state.alert_count == 2
    assert state.severity == Severity.critical
    assert state.tool_sources == ["datadog", "zabbix"]
    assert state.status == IncidentStatus.new


def test_incident_stays_pending_until_min_alerts() -> None:
    initial = new_incident_state(start(CorrelationPolicy(min_alerts=3)))
    two = absorb(initial, [ref(0), ref(1)], T0)
    assert two.status == IncidentStatus.pending
    assert absorb(two, [ref(2)], T0).status == IncidentStatus.new


def test_resolved_alert_marks_its_series_recovered_without_counting() -> None:
    state = absorb(new_incident_state(start()), [ref(0, fingerprint="a"), ref(1, fingerprint="b")], T0)
    later = absorb(
        state, [ref(2, at=T0 + timedelta(minutes=1), status=AlertStatus.resolved, fingerprint="a")], T0
    )
    assert later.alert_count == 2 and later.recovery_count == 1
    assert later.series["a"].status == SeriesStatus.recovered
    assert later.series["b"].status == SeriesStatus.firing
    assert later.recovered_series == ["a"]


def test_absorb_leaves_the_original_state_untouched() -> None:
    state = new_incident_state(start())
    absorb(state, [ref(0)], T0)
    assert state.alert_count == 0
