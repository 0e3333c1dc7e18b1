"""The answer of `GET /api/kpis`: the contract the web UI codes against (field names are fixed)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Bucket = Literal["day", "hour"]

# Every field is always in the answer: the generated TypeScript types must not make them optional.
ANSWERED_IN_FULL = ConfigDict(json_schema_serialization_defaults_required=True)


class Percentiles(BaseModel):
    """Continuous percentiles (linear interpolation, as PostgreSQL's percentile_cont); null without data."""

    model_config = ANSWERED_IN_FULL

    median: float | None = None
    p90: float | None = None


class Figures(BaseModel):
    model_config = ANSWERED_IN_FULL

    alerts_received: int = Field(0, description="alerts stored (accepted) in the range, by received time")
    alerts_suppressed: int = Field(0, description="of those, arrived inside a maintenance window")
    alerts_duplicate: int = Field(
        0,
        description="of those, a repeat of a series (fingerprint) that already had an alert in the same "
        "incident; a re-sent delivery id writes nothing and is not counted",
    )
    incidents_opened: int = Field(
        0,
        description="incidents opened in the range (pending and void ones left out); every incident "
        "figure below is over these, by the bucket they opened in",
    )
    noise_reduction: float | None = Field(
        None, description="percent 0-100: 1 - incidents_opened / alerts_received; null without alerts"
    )
    mtta_seconds: Percentiles = Field(
        default_factory=Percentiles, description="created -> acknowledged, of acknowledged incidents"
    )
    mttr_seconds: Percentiles = Field(
        default_factory=Percentiles, description="created -> resolved, of resolved incidents"
    )
    self_healing: float | None = Field(
        None,
        description="percent of resolved incidents that a runbook resolved without a human (no approval); "
        "null without resolved incidents",
    )
    sla_compliance: float | None = Field(
        None,
        description="percent of incidents with an SLA whose response and resolution clocks both did not "
        "breach (so far); null without such incidents",
    )
    approval_wait_seconds: Percentiles = Field(
        default_factory=Percentiles,
        description="runbook runs requested in the range: from approval request to an approver's answer "
        "(a requester approving by asking is left out)",
    )


class SeriesPoint(Figures):
    bucket_start: datetime


class KpiReport(BaseModel):
    company_id: str | None = Field(description="null: every company of the caller")
    from_: datetime = Field(alias="from", description="inclusive")
    to: datetime = Field(description="exclusive")
    bucket: Bucket
    totals: Figures
    series: list[SeriesPoint] = Field(
        description="one entry per UTC bucket overlapping the range, oldest first, empty ones included"
    )

    model_config = ConfigDict(populate_by_name=True, json_schema_serialization_defaults_required=True)


class TechnicianFigures(BaseModel):
    """One assignee's incidents. Range figures count what happened in the range, whenever it opened."""

    model_config = ANSWERED_IN_FULL

    user_id: str
    open_now: int = Field(0, description="assigned to them and open now (new, in progress, escalated)")
    resolved: int = Field(0, description="assigned to them and resolved in the range")
    mtta_median_seconds: float | None = Field(
        None, description="created -> acknowledged, of their incidents acknowledged in the range"
    )
    mttr_median_seconds: float | None = Field(
        None, description="created -> resolved, of their incidents resolved in the range"
    )
    sla_breaches: int = Field(
        0, description="SLA clocks (response, resolution) of their incidents that breached in the range"
    )


class TechnicianReport(BaseModel):
    company_id: str | None = Field(description="null: every company of the caller")
    from_: datetime = Field(alias="from", description="inclusive")
    to: datetime = Field(description="exclusive")
    technicians: list[TechnicianFigures] = Field(
        description="every assignee with an open incident or something in the range, by user id"
    )

    model_config = ConfigDict(populate_by_name=True, json_schema_serialization_defaults_required=True)
