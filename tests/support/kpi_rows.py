"""A company's alerts, incidents and runbook runs written straight to the database, as the pipeline and the
incident workflow store them, with the KPI figures they make worked out by hand (tests/api/test_kpis.py,
tests/core/test_kpis_parity.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Alert, RemediationRun
from tests.support.incident_rows import stored_incident

DAY1 = datetime(2026, 1, 5, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)  # nothing happens on it
DAY3 = DAY1 + timedelta(days=2)
RANGE = {"from": DAY1.isoformat(), "to": (DAY3 + timedelta(days=1)).isoformat()}


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


class KpiRows:
    def __init__(self, session: AsyncSession, company_id: str) -> None:
        self.session, self.company_id = session, company_id

    def alert(
        self,
        at: datetime,
        incident_id: str | None = None,
        fingerprint: str = "fp",
        disposition: str | None = None,
        asset: str = "web-1",
    ) -> str:
        alert_id = _id("al")
        self.session.add(
            Alert(
                id=alert_id,
                company_id=self.company_id,
                delivery_id=_id("d"),
                asset_name=asset,
                signature="disk_full",
                severity="high",
                message="disk full",
                tool_source="generic",
                status="firing",
                fingerprint=fingerprint,
                aggregation_key="web-1|disk_full",
                received_at=at,
                incident_id=incident_id,
                disposition=disposition,
            )
        )
        return alert_id

    def incident(
        self,
        at: datetime,
        *,
        status: str = "in_progress",
        ack_after: float | None = None,
        resolve_after: float | None = None,
        resolution: str | None = None,
        approved: bool = False,
        sla_breached: tuple[bool, bool] | None = None,
        breached_at: tuple[datetime | None, datetime | None] | None = None,
        assignee: str | None = None,
    ) -> str:
        """`breached_at` (response, resolution) implies `sla_breached` for the clocks it dates."""
        incident_id = _id("incident")
        sla: dict[str, Any] | None = None
        if breached_at is not None:
            sla_breached = (breached_at[0] is not None, breached_at[1] is not None)
        if sla_breached is not None:
            sla = {
                "response": {"kind": "response", "target_s": 900, "breached": sla_breached[0]},
                "resolution": {"kind": "resolution", "target_s": 14400, "breached": sla_breached[1]},
                "paused": False,
            }
            for clock, moment in zip(("response", "resolution"), breached_at or (None, None), strict=True):
                if moment is not None:  # as the workflow stores it: pydantic's JSON, UTC with a Z
                    sla[clock]["breached_at"] = moment.isoformat().replace("+00:00", "Z")
        self.session.add(
            stored_incident(
                incident_id,
                self.company_id,
                at,
                status="resolved" if resolve_after is not None else status,
                assigned_to=assignee,
                acknowledged_at=at + timedelta(seconds=ack_after) if ack_after is not None else None,
                resolved_at=at + timedelta(seconds=resolve_after) if resolve_after is not None else None,
                resolution=resolution,
                remediation={"approval": {"required_role": "technician" if approved else None}},
                sla=sla,
            )
        )
        return incident_id

    def run(
        self,
        at: datetime,
        *,
        wait_s: float | None,
        requested_by: str = "system",
        decided_by: str = "usr_t",
        required_role: str | None = "technician",
    ) -> None:
        approval: dict[str, Any] = {"required_role": required_role, "requested_at": at.isoformat()}
        if wait_s is not None:
            decided = at + timedelta(seconds=wait_s)
            approval.update(
                approved=True, decided_by=decided_by, decided_at=decided.isoformat().replace("+00:00", "Z")
            )
        self.session.add(
            RemediationRun(
                id=_id("run"),
                incident_id="incident-x",
                company_id=self.company_id,
                asset_name="web-1",
                signature="disk_full",
                runbook_id="rb_x",
                status="succeeded" if wait_s is not None else "awaiting_approval",
                requested_by=requested_by,
                approval=approval,
                requested_at=at,
            )
        )


def add_known_rows(session: AsyncSession, company_id: str) -> None:
    """Three UTC days from DAY1; EXPECTED_* below are what they make."""
    rows = KpiRows(session, company_id)
    h = timedelta(hours=1)
    # Opened the day before the range: only its later alert counts, as a duplicate of its series.
    before = rows.incident(DAY1 - h, ack_after=10)
    rows.alert(DAY1 - h, before, "f5")
    rows.alert(DAY1 + 1 * h, before, "f5")
    # DAY1: three incidents, a pending and a void one (not surfaced), eleven alerts.
    healed = rows.incident(
        DAY1 + 10 * h,
        ack_after=60,
        resolve_after=600,
        resolution="auto_remediated",
        sla_breached=(False, False),
    )
    confirmed = rows.incident(
        DAY1 + 12 * h, ack_after=120, resolve_after=1200, resolution="confirmed", sla_breached=(True, False)
    )
    open_one = rows.incident(DAY1 + 14 * h, ack_after=300)
    rows.incident(DAY1 + 15 * h, status="pending")
    rows.incident(DAY1 + 15 * h, status="void")
    for minute in range(3):
        rows.alert(DAY1 + 10 * h + timedelta(minutes=minute), healed, "f1")
    rows.alert(DAY1 + 10 * h + timedelta(minutes=5), healed, "f2")
    rows.alert(DAY1 + 12 * h, confirmed, "f3")
    rows.alert(DAY1 + 12 * h + timedelta(minutes=5), confirmed, "f3")
    rows.alert(DAY1 + 14 * h, open_one, "f4")
    rows.alert(DAY1 + 16 * h, disposition="suppressed")
    rows.alert(DAY1 + 16 * h, disposition="suppressed")
    rows.alert(DAY1 + 17 * h, disposition="no_open_incident")
    # DAY3: one incident, self-healed only after an approver's yes; two alerts, one repeating DAY1's f1.
    approved = rows.incident(
        DAY3 + 9 * h,
        ack_after=30,
        resolve_after=90,
        resolution="auto_remediated",
        approved=True,
        sla_breached=(False, False),
    )
    rows.alert(DAY3 + 9 * h, approved, "f6")
    rows.alert(DAY3 + 8 * h, healed, "f1")
    # Approval waits: 90 s and 30 s on DAY1, 600 s on DAY3; the rest have no wait to count.
    rows.run(DAY1 + 10 * h, wait_s=90)
    rows.run(DAY1 + 11 * h, wait_s=30)
    rows.run(DAY3 + 9 * h, wait_s=600)
    rows.run(DAY1 + 11 * h, wait_s=5, requested_by="usr_t", decided_by="usr_t")  # approved by asking
    rows.run(DAY1 + 11 * h, wait_s=None)  # still waiting
    rows.run(DAY1 + 11 * h, wait_s=None, required_role=None)  # needed no approval


def pct(median: float | None, p90: float | None) -> dict[str, float | None]:
    return {"median": median, "p90": p90}


EMPTY = {
    "alerts_received": 0,
    "alerts_suppressed": 0,
    "alerts_duplicate": 0,
    "incidents_opened": 0,
    "noise_reduction": None,
    "mtta_seconds": pct(None, None),
    "mttr_seconds": pct(None, None),
    "self_healing": None,
    "sla_compliance": None,
    "approval_wait_seconds": pct(None, None),
}
# Percentiles interpolate: p90 of [60, 120, 300] sits at rank 1 + 0.9 * 2 = 2.8, so 120 + 0.8 * 180.
EXPECTED_DAY1 = {
    "alerts_received": 11,
    "alerts_suppressed": 2,
    "alerts_duplicate": 4,
    "incidents_opened": 3,
    "noise_reduction": 72.73,
    "mtta_seconds": pct(120.0, 264.0),
    "mttr_seconds": pct(900.0, 1140.0),
    "self_healing": 50.0,
    "sla_compliance": 50.0,
    "approval_wait_seconds": pct(60.0, 84.0),
}
EXPECTED_DAY3 = {
    "alerts_received": 2,
    "alerts_suppressed": 0,
    "alerts_duplicate": 1,
    "incidents_opened": 1,
    "noise_reduction": 50.0,
    "mtta_seconds": pct(30.0, 30.0),
    "mttr_seconds": pct(90.0, 90.0),
    "self_healing": 0.0,
    "sla_compliance": 100.0,
    "approval_wait_seconds": pct(600.0, 600.0),
}
EXPECTED_TOTALS = {
    "alerts_received": 13,
    "alerts_suppressed": 2,
    "alerts_duplicate": 5,
    "incidents_opened": 4,
    "noise_reduction": 69.23,
    "mtta_seconds": pct(90.0, 246.0),
    "mttr_seconds": pct(600.0, 1080.0),
    "self_healing": 33.33,
    "sla_compliance": 66.67,
    "approval_wait_seconds": pct(90.0, 498.0),
}
EXPECTED_SERIES = [
    {"bucket_start": "2026-01-05T00:00:00Z", **EXPECTED_DAY1},
    {"bucket_start": "2026-01-06T00:00:00Z", **EMPTY},
    {"bucket_start": "2026-01-07T00:00:00Z", **EXPECTED_DAY3},
]
