"""Domain types shared by workflows, activities and the API.

Sandbox-safe: imports nothing with side effects, so workflows can import it freely.
Every workflow, activity and update argument is one pydantic model here, so adding a
field (with a default) never breaks a signature or a recorded history.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from workflows.notifications.types import NotifyRequest
from workflows.remediation.types import Decision, Remediation, RemediationResult
from workflows.severity import Severity

INCIDENT_WORKFLOW_PREFIX = "incident"


class AlertStatus(StrEnum):
    firing = "firing"
    resolved = "resolved"


class IncidentStatus(StrEnum):
    pending = "pending"  # fewer alerts than the company's min_alerts: not surfaced yet
    new = "new"
    in_progress = "in_progress"
    escalated = "escalated"
    resolved = "resolved"
    void = "void"  # every alert it was handed already belonged to another incident


OPEN_STATUSES = frozenset(
    {IncidentStatus.pending, IncidentStatus.new, IncidentStatus.in_progress, IncidentStatus.escalated}
)


class AggregationMode(StrEnum):
    asset_signature = "asset|signature"
    asset = "asset"


class RecoveryMode(StrEnum):
    auto_resolve = "auto_resolve"  # the incident resolves itself once every series has recovered
    confirm = "confirm"  # it waits for a technician to confirm the recovery


HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class BusinessHours(BaseModel):
    """When SLA clocks run: local working hours on working days, except holidays. None: around the clock."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field("UTC", max_length=64, description="an IANA zone, e.g. Europe/Berlin")
    weekdays: list[int] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5], min_length=1, description="ISO weekdays: 1 Monday … 7 Sunday"
    )
    start: str = Field("09:00", pattern=HHMM)
    end: str = Field("17:00", pattern=HHMM, description="00:00: until midnight")
    holidays: list[date] = Field(default_factory=list, max_length=400)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)  # cached after the first load
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin") from None
        return value

    @field_validator("weekdays")
    @classmethod
    def _iso_weekdays(cls, value: list[int]) -> list[int]:
        if any(day < 1 or day > 7 for day in value):
            raise ValueError("weekdays are ISO numbers, 1 (Monday) to 7 (Sunday)")
        return sorted(set(value))

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if self.end != "00:00" and self.end <= self.start:
            raise ValueError("end must be after start (hours that cross midnight are not supported)")
        return self


class SlaTarget(BaseModel):
    """Deadlines for one severity, in minutes or (for short ones) seconds: give one of each pair."""

    model_config = ConfigDict(extra="forbid")

    response_minutes: int | None = Field(None, ge=1, le=7 * 24 * 60, description="time to acknowledge")
    resolution_minutes: int | None = Field(None, ge=1, le=30 * 24 * 60, description="time to resolve")
    response_seconds: int | None = Field(None, ge=10, le=7 * 24 * 3600)
    resolution_seconds: int | None = Field(None, ge=10, le=30 * 24 * 3600)

    @model_validator(mode="after")
    def _one_of_each_and_in_order(self) -> SlaTarget:
        for name in ("response", "resolution"):
            given = [getattr(self, f"{name}_minutes"), getattr(self, f"{name}_seconds")]
            if sum(v is not None for v in given) != 1:
                raise ValueError(f"give exactly one of {name}_minutes and {name}_seconds")
        if self.resolution_s < self.response_s:
            raise ValueError("the resolution deadline must not be shorter than the response deadline")
        return self

    @property
    def response_s(self) -> int:
        return self.response_seconds or 60 * (self.response_minutes or 0)

    @property
    def resolution_s(self) -> int:
        return self.resolution_seconds or 60 * (self.resolution_minutes or 0)


class CorrelationPolicy(BaseModel):
    """The part of a company's policy that incident workflows read: grouping, recovery, flapping,
    automation, SLA."""

    window_minutes: int = Field(15, ge=1, le=60)
    aggregation_key: AggregationMode = AggregationMode.asset_signature
    min_alerts: int = Field(1, ge=1, le=5)
    on_recovery: RecoveryMode = RecoveryMode.auto_resolve
    flap_threshold: int = Field(
        5, ge=0, le=100, description="a series that recovers more than this many times is flapping; 0: off"
    )
    flap_window_minutes: int = Field(60, ge=1, le=1440)
    automation: bool = Field(
        True,
        description="decide and run runbooks by itself; off: incidents are only correlated, for technicians "
        "(runbooks may still be run by hand)",
    )
    # Strict: a switch given as "no" or 0 is refused (422), not read as whatever pydantic makes of it.
    sla_tracking: StrictBool = Field(
        True,
        description="keep response and resolution clocks, warn and breach; off: for clients without an SLA "
        "contract (no clocks, no SLA warnings or breaches; escalation by hand or for an unanswered approval "
        "still works). Turned off, open incidents announce no further SLA events",
    )
    auto_assignment: StrictBool = Field(
        True,
        description="assign each new incident to whoever is on call; off: incidents wait for a dispatcher "
        "(POST /api/incidents/{id}/assign)",
    )
    sla_overrides: dict[Severity, SlaTarget] = Field(
        default_factory=dict, description="per severity; severities not listed use the MSP's defaults"
    )
    business_hours: BusinessHours | None = Field(
        None, description="SLA clocks run only inside these hours; none: around the clock"
    )


class AlertRef(BaseModel):
    """What an incident workflow needs to know about one alert; the full alert stays in the database."""

    id: str
    received_at: datetime
    severity: Severity
    status: AlertStatus = AlertStatus.firing
    tool_source: str
    fingerprint: str
    asset_name: str
    asset_id: str | None = None
    signature: str
    category: str | None = None
    summary: str = ""


class IncidentStart(BaseModel):
    """Input of a new incident workflow: who it belongs to, how it groups, and its first alerts."""

    incident_id: str
    company_id: str
    company_name: str = ""
    aggregation_key: str
    generation: int
    policy: CorrelationPolicy = CorrelationPolicy()
    critical_asset: bool = False
    alerts: list[AlertRef]


class IncidentInput(BaseModel):
    """A new incident (`start`) or the same incident continued as new (`carried`)."""

    start: IncidentStart | None = None
    carried: IncidentState | None = None
    carried_pending: list[AlertRef] = Field(default_factory=list)
    carried_run_results: list[RemediationResult] = Field(default_factory=list)
    # A resolved incident reopened: `carried` is its final state; a new resolution clock starts.
    reopen: ReopenIncident | None = None


class AddAlerts(BaseModel):
    alerts: list[AlertRef]


class ForwardAlerts(BaseModel):
    """Alerts an incident was signalled but no longer takes, for the incident that will."""

    company_id: str
    aggregation_key: str
    alerts: list[AlertRef]


class AddAlertsResult(BaseModel):
    incident_id: str
    accepted: int


class SeriesStatus(StrEnum):
    firing = "firing"
    recovered = "recovered"


class SeriesState(BaseModel):
    status: SeriesStatus
    changed_at: datetime
    # Recovered more than the policy's flap_threshold times within flap_window_minutes: the incident stays
    # open (taking its re-fires) until the series has stayed recovered for a whole flap window.
    flapping: bool = False


class SlaClockKind(StrEnum):
    response = "response"  # until a technician acknowledges
    resolution = "resolution"  # until the incident resolves


class SlaClock(BaseModel):
    """One deadline. Working time used is kept up to `as_of`; while running, the rest runs from there."""

    kind: SlaClockKind
    target_s: int
    started_at: datetime
    consumed_s: float = 0.0
    as_of: datetime
    running: bool = True
    deadline: datetime | None = None  # while running (None while paused)
    met_at: datetime | None = None  # stopped in time or late: acknowledged / resolved
    breached: bool = False
    breached_at: datetime | None = None
    warned: list[int] = Field(default_factory=list)  # percentages of the target already announced


class SlaState(BaseModel):
    response: SlaClock | None = None
    resolution: SlaClock | None = None
    paused: bool = False
    paused_at: datetime | None = None
    pause_reason: str = ""


class IncidentState(BaseModel):
    """Everything an incident workflow owns; carried whole across continue-as-new."""

    incident_id: str
    company_id: str
    company_name: str = ""
    aggregation_key: str
    generation: int
    policy: CorrelationPolicy = CorrelationPolicy()
    critical_asset: bool = False

    status: IncidentStatus = IncidentStatus.pending
    asset_name: str = ""
    asset_id: str | None = None
    signature: str = ""
    category: str | None = None
    title: str = ""
    severity: Severity = Severity.low
    priority_score: int = 0
    alert_count: int = 0
    recovery_count: int = 0
    tool_sources: list[str] = Field(default_factory=list)
    # Full membership lives in the database (alert.incident_id); the workflow keeps the latest few.
    recent_alert_ids: list[str] = Field(default_factory=list)
    series: dict[str, SeriesState] = Field(default_factory=dict)
    assigned_to: str | None = None
    # Every series recovered and the policy asks a technician to confirm before the incident resolves.
    awaiting_confirmation: bool = False
    resolution: str | None = None  # auto_resolved, confirmed (by a technician) or resolved_manually
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    first_alert_at: datetime | None = None
    last_alert_at: datetime | None = None
    # The latest decision, and what the incident looked like when it was made: a new one is due when
    # severity rises or the alert count doubles.
    decision: Decision | None = None
    decided_severity: Severity | None = None
    decided_alert_count: int = 0
    remediation: Remediation | None = None  # the current or last runbook run
    remediation_runs: int = 0  # numbers the runs' workflow ids
    # SLA clocks and escalation (issue: SLA clocks, escalation chains, on-call assignment).
    sla: SlaState | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    escalated: bool = False
    escalation_level: int = 0
    next_escalation_at: datetime | None = None  # the chain's next level, unless acknowledged first
    assignments: int = 0  # numbers assignment notifications
    reopened: int = 0  # times reopened: numbers the notices of each round (their keys repeat otherwise)
    auto_assigned: bool = False  # the on-call schedule was asked once, when the incident became visible

    @property
    def workflow_id(self) -> str:
        return self.incident_id

    @property
    def recovered_series(self) -> list[str]:
        return sorted(k for k, s in self.series.items() if s.status == SeriesStatus.recovered)

    @property
    def flapping_series(self) -> list[str]:
        return sorted(k for k, s in self.series.items() if s.flapping)


class AuditEvent(BaseModel):
    """Something an incident workflow did, for the audit log."""

    action: str
    actor: str | None = None  # a user's id when one asked for it; None: the system
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class RecordAlerts(BaseModel):
    """Attach alerts to an incident in the database and write its projection, in one transaction."""

    state: IncidentState
    alert_ids: list[str]
    write_projection_if_all_attached: bool = True
    # Deterministic per call: if the workflow task that ran it fails and the call runs again, the
    # alerts it attached the first time count as attached by it, not as someone else's.
    attach_token: str = ""
    audit: list[AuditEvent] = Field(default_factory=list)
    # Written with the projection as an outbox notice (in-app at once; email and Slack by the outbox's
    # dispatcher, core/notifications/outbox.py): the first assignment's, which costs no activity that way.
    notification: NotifyRequest | None = None


class SeriesRecoveriesQuery(BaseModel):
    """How often these series recovered in (since, until], counting every stored recovery notice."""

    company_id: str
    fingerprints: list[str]
    since: datetime
    until: datetime


class SeriesRecoveries(BaseModel):
    counts: dict[str, int] = Field(default_factory=dict)


class ResolveIncident(BaseModel):
    """A technician resolves the incident (or confirms that its recovery holds)."""

    user_id: str
    note: str = ""


class Acknowledge(BaseModel):
    user_id: str


class EscalateIncident(BaseModel):
    user_id: str
    reason: str = ""


class AssignIncident(BaseModel):
    user_id: str  # who takes it
    by: str  # who asked


class PauseSla(BaseModel):
    user_id: str
    reason: str = ""


class ReopenIncident(BaseModel):
    user_id: str
    reason: str = ""


class RecordAlertsResult(BaseModel):
    attached_ids: list[str]


class ProjectIncident(BaseModel):
    state: IncidentState
    audit: list[AuditEvent] = Field(default_factory=list)
    audit_token: str = ""
    # A decision just made, to keep in the decision history (the incident row keeps only the latest).
    new_decision: bool = False


IncidentInput.model_rebuild()


class RedeliveryRequest(BaseModel):
    """One redelivery pass: alerts stored at least `older_than_s` ago and in no incident yet."""

    older_than_s: int = 20
    limit: int = 2000  # alerts per pass, shared fairly among companies
    delivery_id_retention_hours: int = 24
    page_size: int = 200  # alerts handed over between two progress heartbeats
    # An alert handed over this many times without reaching an incident (or refused as often) is set
    # aside as `undeliverable`, with the reason, until an operator retries it.
    max_attempts: int = 5


class RedeliveryResult(BaseModel):
    redelivered: int = 0
    routed: int = 0
    failed: int = 0
    purged_deliveries: int = 0
    quarantined: int = 0


class RedeliverySettings(BaseModel):
    """How the redelivery loop of a task queue runs; a worker started with other settings updates it."""

    interval_s: int = 15
    request: RedeliveryRequest = RedeliveryRequest()


class RedeliveryLoopInput(BaseModel):
    settings: RedeliverySettings
    passes: int = 0  # carried across continue-as-new, for the Web UI


class EventPurgeRequest(BaseModel):
    """One pass of the event outbox's retention: events older than `retention_days` are deleted,
    `batch_size` rows per transaction so that a large backlog never holds a long lock."""

    retention_days: float = Field(7.0, gt=0)
    batch_size: int = Field(2000, ge=1)


class EventPurgeResult(BaseModel):
    purged: int = 0
    batches: int = 0
