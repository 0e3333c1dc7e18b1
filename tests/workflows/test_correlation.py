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


# --- found by `make mutate`: what the tests above did not pin down -----------------------------------------


def test_workflow_id_names_the_company_a_hash_of_the_key_and_the_generation() -> None:
    workflow_id = incident_workflow_id("co", "a|b", 3)
    assert workflow_id != incident_workflow_id("co", "a|c", 3)
    assert workflow_id.startswith("incident-co-") and workflow_id.endswith("-3")
    assert "a|b" not in workflow_id and len(workflow_id.split("-")[-2]) == 16


def test_new_incident_takes_its_identity_from_the_start_and_its_first_alert() -> None:
    first = ref(0).model_copy(update={"asset_id": "i-123", "category": "Database", "summary": None})
    begun = start().model_copy(update={"company_name": "Acme", "critical_asset": True, "alerts": [first]})
    state = new_incident_state(begun)
    assert (state.company_name, state.critical_asset) == ("Acme", True)
    assert (state.asset_name, state.asset_id, state.signature, state.category) == (
        "db-01",
        "i-123",
        "disk_full",
        "Database",
    )
    assert state.title == "disk_full on db-01"


def test_absorb_leaves_the_original_series_untouched() -> None:
    opened = absorb(new_incident_state(start()), [ref(0)], T0)
    absorb(opened, [ref(1, status=AlertStatus.resolved, at=T0 + timedelta(minutes=1))], T0)
    assert opened.series["fp1"].status == SeriesStatus.firing


def test_absorb_keeps_the_last_alert_ids_counts_every_recovery_and_stamps_the_times() -> None:
    opened = absorb(new_incident_state(start()), [ref(i, at=T0) for i in range(60)], T0)
    assert opened.recent_alert_ids == [f"al_{i}" for i in range(10, 60)]  # the last 50
    assert opened.created_at == opened.updated_at == T0
    later = T0 + timedelta(minutes=2)
    recoveries = [ref(60 + i, at=T0 + timedelta(minutes=1), status=AlertStatus.resolved) for i in range(2)]
    recovered = absorb(opened, recoveries, later)
    assert recovered.recovery_count == 2 and recovered.alert_count == 60
    assert recovered.created_at == T0 and recovered.updated_at == later
    assert recovered.first_alert_at == T0 and recovered.last_alert_at == T0 + timedelta(minutes=1)


def test_absorb_takes_the_first_category_given_and_scores_a_critical_asset_higher() -> None:
    uncategorised = ref(0)
    database = ref(1).model_copy(update={"category": "Database"})
    disk = ref(2).model_copy(update={"category": "Disk"})
    state = absorb(new_incident_state(start()), [uncategorised, database, disk], T0)
    assert state.category == "Database"
    critical = new_incident_state(start().model_copy(update={"critical_asset": True}))
    assert (
        absorb(critical, [ref(0)], T0).priority_score
        == absorb(new_incident_state(start()), [ref(0)], T0).priority_score + 15
    )
