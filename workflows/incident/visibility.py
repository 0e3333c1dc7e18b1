"""How an incident reads in the Temporal Web UI: typed search attributes and a markdown summary."""

from __future__ import annotations

from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)

from workflows.types import IncidentState

COMPANY_ID = SearchAttributeKey.for_keyword("CompanyId")
INCIDENT_STATUS = SearchAttributeKey.for_keyword("IncidentStatus")
SEVERITY = SearchAttributeKey.for_keyword("Severity")
ASSET_NAME = SearchAttributeKey.for_keyword("AssetName")
ALERT_SIGNATURE = SearchAttributeKey.for_keyword("AlertSignature")
PRIORITY_SCORE = SearchAttributeKey.for_int("PriorityScore")
ALERT_COUNT = SearchAttributeKey.for_int("AlertCount")
SEARCH_ATTRIBUTE_KEYS = (
    COMPANY_ID,
    INCIDENT_STATUS,
    SEVERITY,
    ASSET_NAME,
    ALERT_SIGNATURE,
    PRIORITY_SCORE,
    ALERT_COUNT,
)


def search_attributes(state: IncidentState) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(COMPANY_ID, state.company_id),
            SearchAttributePair(INCIDENT_STATUS, state.status.value),
            SearchAttributePair(SEVERITY, state.severity.value),
            SearchAttributePair(ASSET_NAME, state.asset_name),
            SearchAttributePair(ALERT_SIGNATURE, state.signature),
            SearchAttributePair(PRIORITY_SCORE, state.priority_score),
            SearchAttributePair(ALERT_COUNT, state.alert_count),
        ]
    )


def search_attribute_updates(state: IncidentState) -> list[SearchAttributeUpdate]:
    return [pair.key.value_set(pair.value) for pair in search_attributes(state)]


def describe(state: IncidentState) -> str:
    recovered = state.recovered_series
    lines = [
        f"**{state.severity.value.upper()}** {state.title}",
        f"Company {state.company_name or state.company_id}, asset `{state.asset_name}`, "
        f"signature `{state.signature}`",
        f"Status **{state.status.value}**, priority {state.priority_score}/100, "
        f"{state.alert_count} alert(s) from {', '.join(state.tool_sources) or 'no source'}",
        f"Grouped by `{state.aggregation_key}`, last alert {state.last_alert_at}",
    ]
    if recovered:
        lines.append(f"Recovered series: {len(recovered)} of {len(state.series)}")
    if state.flapping_series:
        lines.append(f"Flapping series: {len(state.flapping_series)}; it stays open until they stay quiet")
    if state.awaiting_confirmation:
        lines.append("Every series recovered: waiting for a technician to confirm")
    if state.resolution:
        by = f" by {state.resolved_by}" if state.resolved_by else ""
        lines.append(f"Resolved ({state.resolution}){by} at {state.resolved_at}")
    return "\n\n".join(lines)
