"""How an incident reads in the Temporal Web UI: typed search attributes and a markdown summary."""

from __future__ import annotations

import json

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
# Temporal refuses a Keyword value over 2,048 bytes, measured JSON-escaped (an emoji takes 12), and a start
# or upsert carrying one fails: the incident could never open. Text fields are cut well below that, with a
# marker, so that every alert we accept can be routed.
MAX_KEYWORD_BYTES = 1024
# Temporal's user-metadata limits (summary 400 bytes, details 20 KB) are not enforced by every server
# version; stay inside them anyway.
MAX_SUMMARY_BYTES = 400
MAX_DETAILS_BYTES = 16_000
MAX_FIELD_IN_DETAILS_BYTES = 600
TRUNCATED = "…"
SEARCH_ATTRIBUTE_KEYS = (
    COMPANY_ID,
    INCIDENT_STATUS,
    SEVERITY,
    ASSET_NAME,
    ALERT_SIGNATURE,
    PRIORITY_SCORE,
    ALERT_COUNT,
)


def encoded_size(text: str) -> int:
    """Bytes of `text` as Temporal measures it: JSON-escaped, without the quotes."""
    return len(json.dumps(text)) - 2


def bounded(text: str, max_bytes: int) -> str:
    """`text`, cut to at most `max_bytes` JSON-escaped bytes and marked with `…` where it was cut."""
    if encoded_size(text) <= max_bytes:
        return text
    room = max_bytes - encoded_size(TRUNCATED)
    kept: list[str] = []
    for char in text:
        room -= encoded_size(char)
        if room < 0:
            break
        kept.append(char)
    return "".join(kept) + TRUNCATED


def search_attributes(state: IncidentState) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(COMPANY_ID, bounded(state.company_id, MAX_KEYWORD_BYTES)),
            SearchAttributePair(INCIDENT_STATUS, state.status.value),
            SearchAttributePair(SEVERITY, state.severity.value),
            SearchAttributePair(ASSET_NAME, bounded(state.asset_name, MAX_KEYWORD_BYTES)),
            SearchAttributePair(ALERT_SIGNATURE, bounded(state.signature, MAX_KEYWORD_BYTES)),
            SearchAttributePair(PRIORITY_SCORE, state.priority_score),
            SearchAttributePair(ALERT_COUNT, state.alert_count),
        ]
    )


def search_attribute_updates(state: IncidentState) -> list[SearchAttributeUpdate]:
    return [pair.key.value_set(pair.value) for pair in search_attributes(state)]


def summary(severity: str, signature: str, asset_name: str, company: str) -> str:
    """The one line the Web UI lists for an incident (its static summary)."""
    field = MAX_SUMMARY_BYTES // 4
    line = (
        f"{severity} {bounded(signature, field)} on {bounded(asset_name, field)} ({bounded(company, field)})"
    )
    return bounded(line, MAX_SUMMARY_BYTES)


def describe(state: IncidentState) -> str:
    return bounded(_description(state), MAX_DETAILS_BYTES)


def _description(state: IncidentState) -> str:
    def short(text: str) -> str:
        return bounded(text, MAX_FIELD_IN_DETAILS_BYTES)

    recovered = state.recovered_series
    lines = [
        f"**{state.severity.value.upper()}** {short(state.title)}",
        f"Company {short(state.company_name or state.company_id)}, asset `{short(state.asset_name)}`, "
        f"signature `{short(state.signature)}`",
        f"Status **{state.status.value}**, priority {state.priority_score}/100, "
        f"{state.alert_count} alert(s) from {', '.join(state.tool_sources) or 'no source'}",
        f"Grouped by `{short(state.aggregation_key)}`, last alert {state.last_alert_at}",
    ]
    if recovered:
        lines.append(f"Recovered series: {len(recovered)} of {len(state.series)}")
    if state.flapping_series:
        lines.append(f"Flapping series: {len(state.flapping_series)}; it stays open until they stay quiet")
    if state.awaiting_confirmation:
        lines.append("Every series recovered: waiting for a technician to confirm")
    decision = state.decision
    if decision is not None:
        runbook = f" `{decision.runbook_id}`" if decision.runbook_id else ""
        lines.append(
            f"Decision **{decision.action.value}**{runbook} by {decision.provider} "
            f"(confidence {decision.confidence:.2f}): {short(decision.reasoning)}"
        )
    run = state.remediation
    if run is not None:
        approval = run.approval
        waits = (
            f", needs {approval.required_role} by {approval.timeout_at}"
            if run.status.value == "awaiting_approval"
            else ""
        )
        decided = (
            f", {'approved' if approval.approved else 'rejected'} by {approval.decided_by}"
            if approval.decided_by
            else ""
        )
        lines.append(
            f"Runbook {short(run.runbook_name)} ({run.risk_level.value} risk), run `{run.run_id}`: "
            f"**{run.status.value}**{waits}{decided}" + (f"; {short(run.error)}" if run.error else "")
        )
    if state.resolution:
        by = f" by {state.resolved_by}" if state.resolved_by else ""
        lines.append(f"Resolved ({state.resolution}){by} at {state.resolved_at}")
    return "\n\n".join(lines)
