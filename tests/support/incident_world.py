"""Stand-in activities for incident workflow tests on the time-skipping server (no database).

Each is an `@activity.defn` under the real activity's name, as in Temporal's samples, so the workflow
runs unchanged and the test sees what it asked of the outside world."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from temporalio import activity

from workflows.incident.correlation import aggregation_key, series_fingerprint
from workflows.types import (
    AggregationMode,
    AlertRef,
    ForwardAlerts,
    IncidentInput,
    IncidentStart,
    ProjectIncident,
    RecordAlerts,
    RecordAlertsResult,
    SeriesRecoveries,
    SeriesRecoveriesQuery,
    Severity,
)

KEY = aggregation_key(AggregationMode.asset_signature, asset="db-1", signature="disk_full")


def firing_alert(received_at: datetime | None = None) -> AlertRef:
    return AlertRef(
        id=f"al-{uuid.uuid4().hex[:10]}",
        received_at=received_at or datetime.now(UTC),
        severity=Severity.high,
        tool_source="test",
        fingerprint=series_fingerprint(asset="db-1", signature="disk_full"),
        asset_name="db-1",
        signature="disk_full",
    )


def start_input(first: AlertRef, incident_id: str) -> IncidentInput:
    return IncidentInput(
        start=IncidentStart(
            incident_id=incident_id, company_id="co-1", aggregation_key=KEY, generation=1, alerts=[first]
        )
    )


@dataclass
class StandIns:
    """Records what the workflow recorded and forwarded; every alert attaches."""

    recorded: list[str] = field(default_factory=list)
    forwarded: list[AlertRef] = field(default_factory=list)

    def activities(self) -> list[Callable[..., Any]]:
        @activity.defn(name="record_alerts")
        async def record_alerts(req: RecordAlerts) -> RecordAlertsResult:
            self.recorded.extend(req.alert_ids)
            return RecordAlertsResult(attached_ids=list(req.alert_ids))

        @activity.defn(name="project_incident")
        async def project_incident(req: ProjectIncident) -> None:
            return None

        @activity.defn(name="count_series_recoveries")
        async def count_series_recoveries(req: SeriesRecoveriesQuery) -> SeriesRecoveries:
            return SeriesRecoveries(counts={})

        @activity.defn(name="forward_alerts")
        async def forward_alerts(req: ForwardAlerts) -> None:
            self.forwarded.extend(req.alerts)

        return [record_alerts, project_incident, count_series_recoveries, forward_alerts]
