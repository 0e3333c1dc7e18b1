"""Tables. The incident workflow owns incident state; `incident` here is its projection for listing."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, Table, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db.types import UTCDateTime


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel class, for bulk statements."""
    table: Table = getattr(model, "__table__")  # noqa: B009 (SQLModel sets it dynamically)
    return table


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def _json(default: Any = None) -> Any:
    return Field(default_factory=lambda: default() if callable(default) else default, sa_column=Column(JSON))


class Company(SQLModel, table=True):
    id: str = Field(default_factory=lambda: new_id("co"), primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    # "local": the HMAC secret is stored here, encrypted; "aws": it lives in AWS Secrets Manager under
    # hmac_secret_ref, whose AWSPREVIOUS version is the previous secret.
    secret_backend: str = Field(default="local", max_length=20)
    hmac_secret_ref: str | None = Field(default=None, max_length=400)
    hmac_secret_encrypted: str | None = None
    hmac_previous_encrypted: str | None = None
    # Until then the previous HMAC secret still verifies, so senders can switch over without failures.
    hmac_previous_expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    policy: dict[str, Any] = _json(dict)
    critical_assets: list[str] = _json(list)
    assets: list[dict[str, Any]] = _json(list)
    monitoring_integrations: list[dict[str, Any]] = _json(list)
    # Native integrations' settings (activities/integration_settings.py).
    integration_settings: dict[str, Any] = _json(dict)
    # How runbook executors reach the company's AWS account (core/companies/aws_access.py): a role to assume
    # with an external id, and/or access keys (encrypted like the local HMAC secret); none: boto3's chain.
    aws_role_arn: str | None = Field(default=None, max_length=2048)
    aws_external_id: str | None = Field(default=None, max_length=1224)
    aws_region: str | None = Field(default=None, max_length=40)
    aws_access_key_id_encrypted: str | None = None
    aws_secret_access_key_encrypted: str | None = None
    # The company's Slack incoming webhook for notifications (core/notifications/slack_setting.py),
    # encrypted like the local HMAC secret: the URL itself is the credential.
    slack_webhook_encrypted: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))


class CompanyApiKey(SQLModel, table=True):
    """API keys, stored as SHA-256 hashes; rotation leaves the old key valid until expires_at."""

    __tablename__ = "company_api_key"
    id: str = Field(default_factory=lambda: new_id("key"), primary_key=True, max_length=40)
    company_id: str = Field(foreign_key="company.id", index=True, max_length=40)
    key_hash: str = Field(unique=True, max_length=64)
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class User(SQLModel, table=True):
    id: str = Field(default_factory=lambda: new_id("usr"), primary_key=True, max_length=40)
    email: str = Field(index=True, unique=True, max_length=320)
    name: str = Field(default="", max_length=200)
    password_hash: str
    role: str = Field(max_length=20)
    category: str | None = Field(default=None, max_length=60)
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))
    password_changed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class UserCompany(SQLModel, table=True):
    __tablename__ = "user_company"
    user_id: str = Field(foreign_key="user.id", primary_key=True, max_length=40)
    company_id: str = Field(foreign_key="company.id", primary_key=True, max_length=40)


class Alert(SQLModel, table=True):
    __table_args__ = (
        Index("ix_alert_unrouted", "incident_id", "disposition", "received_at"),
        # Carries what the KPIs count, so PostgreSQL reads a company's month of alerts from the index alone.
        Index(
            "ix_alert_company_received",
            "company_id",
            "received_at",
            postgresql_include=["incident_id", "disposition", "fingerprint"],
        ),
        Index("ix_alert_series", "company_id", "fingerprint", "received_at"),
        # KPIs and the alert stream: is an attached alert the first of its series in its incident?
        Index("ix_alert_incident_series", "incident_id", "fingerprint", "received_at"),
    )
    id: str = Field(primary_key=True, max_length=40)
    company_id: str = Field(max_length=40)
    delivery_id: str = Field(max_length=200)
    asset_name: str = Field(max_length=255)
    asset_id: str | None = Field(default=None, max_length=255)
    signature: str = Field(max_length=255)
    severity: str = Field(max_length=10)
    message: str
    tool_source: str = Field(max_length=100)
    category: str | None = Field(default=None, max_length=100)
    labels: dict[str, Any] = _json(dict)
    status: str = Field(max_length=10)
    # The alert series: the tool's own fingerprint where it has one, else a hash of asset and signature.
    fingerprint: str = Field(max_length=255)
    aggregation_key: str = Field(max_length=600)
    occurred_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    incident_id: str | None = Field(default=None, max_length=120)
    # Which record_alerts call attached it: a retried call (same token) gets the same answer again.
    attach_token: str | None = Field(default=None, max_length=40)
    # Why an accepted alert is in no incident on purpose, e.g. a recovery with no open incident.
    disposition: str | None = Field(default=None, max_length=40)
    # Set when the alert arrived inside a maintenance window: stored, suppressed, in no incident.
    maintenance_window_id: str | None = Field(default=None, max_length=40)
    # Redelivery: failed attempts to hand it to its incident, the latest reason, and when a pass last took
    # it. After too many failures its disposition becomes `undeliverable` (core/ingest/undelivered.py).
    delivery_attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    delivery_error: str | None = Field(default=None, max_length=500)
    last_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class WebhookDelivery(SQLModel, table=True):
    """Delivery ids seen in the last 24 h, for idempotent webhooks."""

    __tablename__ = "webhook_delivery"
    company_id: str = Field(primary_key=True, max_length=40)
    delivery_id: str = Field(primary_key=True, max_length=200)
    alert_id: str = Field(max_length=40)
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class UsedWebhookSignature(SQLModel, table=True):
    """Signatures that do not cover the delivery id, each good for one delivery id within its window."""

    __tablename__ = "webhook_signature"
    company_id: str = Field(primary_key=True, max_length=40)
    signature_digest: str = Field(primary_key=True, max_length=64)  # SHA-256 hex of X-Signature
    # SHA-256 hex of the X-Delivery-ID header as sent; empty when none was sent.
    delivery_digest: str = Field(max_length=64)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class CredentialsStamp(SQLModel, table=True):
    """One row whose version goes up with every change to any company's webhook credentials: API
    processes compare it every half second and drop their cached credentials when it moved."""

    __tablename__ = "credentials_stamp"
    id: int = Field(primary_key=True)
    version: int = 0


class Incident(SQLModel, table=True):
    __table_args__ = (
        Index("ix_incident_company_updated", "company_id", "updated_at"),
        # Assignment: each technician's open incidents (least loaded) and latest one (round robin).
        Index("ix_incident_assignee", "assigned_to", "status", "created_at"),
        Index("ix_incident_company_created", "company_id", "created_at"),  # KPIs: incidents opened
    )
    id: str = Field(primary_key=True, max_length=120)
    company_id: str = Field(max_length=40)
    aggregation_key: str = Field(max_length=600)
    generation: int
    status: str = Field(max_length=20, index=True)
    severity: str = Field(max_length=10)
    priority_score: int
    alert_count: int
    recovery_count: int = 0
    tool_sources: list[str] = _json(list)
    recovered_series: list[str] = _json(list)
    signature: str = Field(max_length=255)
    asset_name: str = Field(max_length=255)
    asset_id: str | None = Field(default=None, max_length=255)
    category: str | None = Field(default=None, max_length=100)
    title: str = Field(default="", max_length=300)
    assigned_to: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_alert_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # "auto_resolved" (every series recovered) or "confirmed" (a technician confirmed the recovery).
    resolution: str | None = Field(default=None, max_length=40)
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    resolved_by: str | None = Field(default=None, max_length=40)
    # Every series recovered, and company policy asks a technician to confirm before it resolves.
    awaiting_confirmation: bool = False
    flapping_series: list[str] = _json(list)
    # The latest decision and runbook run (workflows/remediation/types.py: Decision, Remediation).
    decision: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    remediation: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # SLA clocks (workflows/types.py SlaState) and who looks after the incident.
    sla: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    acknowledged_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    acknowledged_by: str | None = Field(default=None, max_length=40)
    escalated: bool = False
    escalation_level: int = 0


class MaintenanceWindow(SQLModel, table=True):
    """A quiet period of one company: matching alerts are stored, suppressed and open no incident."""

    __tablename__ = "maintenance_window"
    id: str = Field(default_factory=lambda: new_id("mw"), primary_key=True, max_length=40)
    company_id: str = Field(foreign_key="company.id", index=True, max_length=40)
    name: str = Field(max_length=200)
    # "once" (starts_at..ends_at), "weekly" (weekly intervals) or "cron" (cron start + duration_minutes).
    kind: str = Field(max_length=10)
    timezone: str = Field(default="UTC", max_length=64)
    starts_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    ends_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    weekly: list[dict[str, Any]] = _json(list)
    cron: str | None = Field(default=None, max_length=120)
    duration_minutes: int | None = None
    match_assets: list[str] = _json(list)
    match_signatures: list[str] = _json(list)
    match_labels: dict[str, Any] = _json(dict)
    enabled: bool = True
    created_by: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class OncallSchedule(SQLModel, table=True):
    """Who of one company is on call when: rotations in layers, and overrides (core/oncall/rotation.py)."""

    __tablename__ = "oncall_schedule"
    id: str = Field(default_factory=lambda: new_id("sch"), primary_key=True, max_length=40)
    company_id: str = Field(foreign_key="company.id", index=True, max_length=40)
    name: str = Field(max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    # [{name, rotation: daily|weekly|custom, shift_hours, handoff_time "HH:MM", starts_on, participants,
    # restrictions: [{days, start, end}]}], lowest layer first.
    layers: list[dict[str, Any]] = _json(list)
    # [{user_id, starts_at, ends_at, replaces_user_id}]: with replaces_user_id, a shift swap.
    overrides: list[dict[str, Any]] = _json(list)
    created_by: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class EscalationChain(SQLModel, table=True):
    """Whom an unanswered incident of one company escalates to, level by level (core/oncall/escalation.py).
    One per company; a company without one escalates along the default chain."""

    __tablename__ = "escalation_chain"
    id: str = Field(default_factory=lambda: new_id("esc"), primary_key=True, max_length=40)
    company_id: str = Field(foreign_key="company.id", unique=True, max_length=40)
    name: str = Field(max_length=200)
    # [{level: 1.., notify: {oncall, user_ids, roles}, wait_minutes, reassign}], in level order.
    levels: list[dict[str, Any]] = _json(list)
    created_by: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class CorrelationHead(SQLModel, table=True):
    """The newest incident generation per aggregation key, where routing starts looking."""

    __tablename__ = "correlation_head"
    company_id: str = Field(primary_key=True, max_length=40)
    aggregation_key: str = Field(primary_key=True, max_length=600)
    generation: int
    incident_id: str = Field(max_length=120)


class AuthSession(SQLModel, table=True):
    """One signed-in device: its refresh tokens form one family; revoking it signs the device out."""

    __tablename__ = "auth_session"
    id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="user.id", index=True, max_length=40)
    user_agent: str = Field(default="", max_length=400)
    ip: str = Field(default="", max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_used_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_reason: str | None = Field(default=None, max_length=60)


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins per account and per IP, for exponential back-off."""

    __tablename__ = "login_throttle"
    key: str = Field(primary_key=True, max_length=400)
    failures: int = 0
    last_failure_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    blocked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_token"
    id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="user.id", index=True, max_length=40)
    family_id: str = Field(index=True, max_length=64)
    token_hash: str = Field(max_length=64, unique=True)
    issued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    user_agent: str = Field(default="", max_length=400)
    ip: str = Field(default="", max_length=64)


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: str = Field(default_factory=lambda: new_id("aud"), primary_key=True, max_length=40)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), index=True))
    actor: str = Field(max_length=120)
    action: str = Field(max_length=80, index=True)
    company_id: str | None = Field(default=None, max_length=40, index=True)
    object_type: str = Field(default="", max_length=40)
    object_id: str = Field(default="", max_length=120)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class Runbook(SQLModel, table=True):
    """A fix for alerts whose signature matches: commands run by an executor, with checks and rollback.

    Global (company_id null, managed by the MSP) or one company's. Commands never contain alert text:
    `{name}` placeholders are filled only from declared `parameters` (core/runbooks/render.py).
    """

    id: str = Field(default_factory=lambda: new_id("rb"), primary_key=True, max_length=40)
    company_id: str | None = Field(default=None, foreign_key="company.id", index=True, max_length=40)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    signatures: list[str] = _json(list)  # globs: disk_*
    risk_level: str = Field(max_length=10)  # low | medium | high
    executor: str = Field(max_length=10)  # ssm | local
    actions: list[str] = _json(list)
    rollback_actions: list[str] = _json(list)
    pre_check: str | None = None
    post_check: str | None = None
    # [{"name": "service", "source": "label:service", "pattern": "^[a-z0-9_-]+$"}]; sources: asset_name,
    # asset_id, label:<name>.
    parameters: list[dict[str, Any]] = _json(list)
    auto_approve: bool = False
    timeout_seconds: int = 300
    demo: bool = False  # harmless, for `alert-whisperer demo`: marked as such wherever it shows
    created_by: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class DecisionRecord(SQLModel, table=True):
    """Every decision made for an incident (the incident row keeps only the latest): memory and KPIs."""

    __tablename__ = "decision"
    __table_args__ = (Index("ix_decision_company_asset", "company_id", "asset_name", "created_at"),)
    id: str = Field(default_factory=lambda: new_id("dec"), primary_key=True, max_length=40)
    incident_id: str = Field(max_length=120, index=True)
    company_id: str = Field(max_length=40)
    asset_name: str = Field(max_length=255)
    signature: str = Field(max_length=255)
    action: str = Field(max_length=30)
    runbook_id: str | None = Field(default=None, max_length=40)
    confidence: float = 0.0
    reasoning: str = ""
    provider: str = Field(max_length=30)
    tokens_used: int = 0
    duration_ms: int = 0
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class RemediationRun(SQLModel, table=True):
    """One runbook run for an incident, from proposal to outcome: memory, guardrails and KPIs."""

    __tablename__ = "remediation_run"
    __table_args__ = (
        Index("ix_remediation_run_asset", "company_id", "asset_name", "runbook_id", "requested_at"),
        Index("ix_remediation_run_signature", "company_id", "signature", "requested_at"),
        Index("ix_remediation_run_company_requested", "company_id", "requested_at"),  # KPIs: approval waits
    )
    id: str = Field(primary_key=True, max_length=200)  # the remediation workflow's id
    incident_id: str = Field(max_length=120, index=True)
    company_id: str = Field(max_length=40)
    asset_name: str = Field(max_length=255)
    signature: str = Field(max_length=255)
    runbook_id: str = Field(max_length=40)
    status: str = Field(max_length=20)
    requested_by: str = Field(default="system", max_length=40)
    approval: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    steps: list[dict[str, Any]] = _json(list)
    requested_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    error: str | None = None


class LlmUsage(SQLModel, table=True):
    """LLM tokens spent on a company's decisions per UTC day, against its daily budget."""

    __tablename__ = "llm_usage"
    company_id: str = Field(primary_key=True, max_length=40)
    day: str = Field(primary_key=True, max_length=10)  # YYYY-MM-DD
    tokens: int = 0


class Notification(SQLModel, table=True):
    """One notification to one user: the in-app channel, and what its other channels' deliveries refer to.

    (notification_key, user_id) is unique: the workflow's deterministic key makes a repeated request a
    no-op (core/notifications/dispatcher.py)."""

    __table_args__ = (
        UniqueConstraint("notification_key", "user_id", name="uq_notification_key_user"),
        Index("ix_notification_user_created", "user_id", "created_at"),
    )
    id: str = Field(default_factory=lambda: new_id("ntf"), primary_key=True, max_length=40)
    notification_key: str = Field(max_length=200)
    user_id: str = Field(max_length=40)
    company_id: str = Field(max_length=40)
    incident_id: str = Field(max_length=120)
    kind: str = Field(max_length=30)
    severity: str = Field(max_length=10)
    title: str = Field(max_length=300)
    body: str = ""
    link: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class NotificationDelivery(SQLModel, table=True):
    """What became of one channel of one notification: the check-and-mark that sends it at most once.

    status: "sending" (claimed by an attempt), "sent", "failed", "skipped". `user_id` is "*" for a
    channel sent once per company (Slack)."""

    __tablename__ = "notification_delivery"
    notification_key: str = Field(primary_key=True, max_length=200)
    user_id: str = Field(primary_key=True, max_length=40)
    channel: str = Field(primary_key=True, max_length=20)
    status: str = Field(max_length=10)
    attempts: int = 0
    last_error: str | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class NotificationOutbox(SQLModel, table=True):
    """A notice whose in-app row was written with the change it announces (the first assignment, with the
    incident), and whose other channels (email, Slack) a dispatcher still has to send
    (core/notifications/outbox.py). The row is the work item: deleted once dispatched.

    `next_attempt_at` is when it is due; taking a row moves it past the dispatcher's lease, so a
    dispatcher that dies mid-send leaves the row to the next one."""

    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_due", "next_attempt_at"),)
    notification_key: str = Field(primary_key=True, max_length=200)
    company_id: str = Field(max_length=40)
    request: dict[str, Any] = _json(dict)  # the NotifyRequest (workflows/notifications/types.py)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    attempts: int = 0  # dispatches tried
    last_error: str | None = None


class NotificationPreference(SQLModel, table=True):
    """A user's choice of channels per severity and quiet hours (core/notifications/preferences.py);
    no row: the defaults."""

    __tablename__ = "notification_preference"
    user_id: str = Field(foreign_key="user.id", primary_key=True, max_length=40)
    channels: dict[str, Any] = _json(dict)
    quiet_hours: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    email: str | None = Field(default=None, max_length=320)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Event(SQLModel, table=True):
    """The outbox of incident events (core/events): written in the transaction of the change it describes.

    Ids increase in commit order (core/events/outbox.py takes a lock for the last step of every writing
    transaction), so a reader that has seen id n has seen every event below it. `dedup_key` is derived
    from the writing call's token: a re-run of the same call adds nothing."""

    __table_args__ = (Index("ix_event_company_id_id", "company_id", "id"), {"sqlite_autoincrement": True})
    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    dedup_key: str = Field(max_length=200, unique=True)
    type: str = Field(max_length=40)
    company_id: str = Field(max_length=40)
    incident_id: str | None = Field(default=None, max_length=120)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    data: dict[str, Any] = _json(dict)
