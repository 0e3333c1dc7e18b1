"""Which events an incident write becomes: none while the incident is pending (hidden from the list),
`incident.created` when it surfaces, and never `alert.correlated` before the incident it joins."""

from __future__ import annotations

from datetime import UTC, datetime

from core.events.mapping import projection_events, recorded_events
from core.events.types import EventDraft
from workflows.types import AuditEvent, IncidentState, IncidentStatus

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
OPENED = AuditEvent(action="incident.opened")


def state(status: IncidentStatus) -> IncidentState:
    return IncidentState(
        incident_id="incident-co_1-key-1",
        company_id="co_1",
        aggregation_key="key",
        generation=1,
        status=status,
        created_at=NOW,
        updated_at=NOW,
        title="disk full",
        alert_count=2,
    )


def from_pending(action: str, to: IncidentStatus) -> AuditEvent:
    return AuditEvent(action=action, before={"status": "pending"}, after={"status": to.value})


def types(drafts: list[EventDraft]) -> list[str]:
    return [d.type for d in drafts]


def test_a_pending_incident_writes_no_event() -> None:
    pending = state(IncidentStatus.pending)
    assert projection_events(pending, [OPENED], "t") == []
    assert recorded_events(pending, [OPENED], ["al_1"], "t", projected=True) == []
    assert recorded_events(pending, [], ["al_2"], "t", projected=True) == []


def test_leaving_pending_is_the_incidents_creation() -> None:
    surfaced = recorded_events(
        state(IncidentStatus.new),
        [from_pending("incident.status_changed", IncidentStatus.new)],
        ["al_2"],
        "t",
        projected=True,
    )
    assert types(surfaced) == ["incident.created", "alert.correlated"]
    assert surfaced[0].data["incident"]["status"] == "new"


def test_a_pending_incident_resolved_at_once_is_created_then_resolved() -> None:
    drafts = projection_events(
        state(IncidentStatus.resolved), [from_pending("incident.resolved", IncidentStatus.resolved)], "t"
    )
    assert types(drafts) == ["incident.created", "incident.resolved"]


def test_a_new_incident_is_created_before_its_alerts_are_correlated() -> None:
    drafts = recorded_events(state(IncidentStatus.new), [OPENED], ["al_1"], "t", projected=True)
    assert types(drafts) == ["incident.created", "alert.correlated"]


def test_alerts_of_a_new_incident_written_without_its_row_wait_for_its_creation() -> None:
    # Some alerts already belonged to another incident: the row and incident.created come in the next write.
    assert recorded_events(state(IncidentStatus.new), [OPENED], ["al_1"], "t", projected=False) == []
    joined = recorded_events(state(IncidentStatus.new), [], ["al_3"], "t", projected=False)
    assert types(joined) == ["alert.correlated"]


def test_a_surfaced_incident_keeps_its_usual_events() -> None:
    acknowledged = AuditEvent(action="incident.acknowledged", actor="us_1")
    drafts = projection_events(state(IncidentStatus.in_progress), [acknowledged], "t")
    assert types(drafts) == ["incident.updated"]
    assert drafts[0].data["action"] == "incident.acknowledged"
