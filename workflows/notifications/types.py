"""What a workflow asks the `notify` activity for, and what it answers; what the notification outbox's
dispatcher loop (`workflows/notifications/outbox.py`) asks of its activity.

Sandbox-safe: pydantic models and enums only. The activities are `activities/notifications.py`
(`Notifier.notify`, `Notifier.dispatch_outbox`); channels, preferences, once-only delivery and the
outbox are core's, `core/notifications/`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from workflows.severity import Severity


class NotificationKind(StrEnum):
    assignment = "assignment"
    approval_requested = "approval_requested"
    sla_warning = "sla_warning"
    sla_breached = "sla_breached"
    escalation = "escalation"
    runbook_failed = "runbook_failed"


class Channel(StrEnum):
    in_app = "in_app"
    email = "email"
    slack = "slack"  # the company's Slack incoming webhook: one post per notification, not per user


class NotifyRequest(BaseModel):
    """One notification to some users.

    `notification_key` is chosen by the workflow and deterministic, e.g.
    f"{incident_id}:sla_warning:response:75": every channel is sent at most once per (key, user), however
    often the activity is retried or the workflow asks again, so the same key must never name two
    different notifications.
    """

    notification_key: str = Field(min_length=1, max_length=200)
    company_id: str
    incident_id: str
    kind: NotificationKind
    severity: Severity
    title: str = Field(max_length=300)
    body: str = ""
    user_ids: list[str] = Field(default_factory=list)
    # Absolute, or a path under AW_PUBLIC_URL; default: the incident's page.
    link: str | None = None


class NotifyResult(BaseModel):
    """Per channel, whom it reached. Channel failures never raise: they are recorded (visible in
    GET /api/notifications) and listed here, keyed "channel/user_id" ("slack" alone: one post per company).
    `skipped` lists "channel/user_id: reason" (quiet hours, no SMTP host, no Slack webhook, ...)."""

    delivered: dict[str, list[str]] = Field(default_factory=dict)
    failed: dict[str, str] = Field(default_factory=dict)
    skipped: list[str] = Field(default_factory=list)


class OutboxWatch(BaseModel):
    """One pass of the notification outbox's dispatcher (core/notifications/outbox.py): for `seconds` it
    sends the notices written with the changes they announce, at once when its own worker wrote one, and
    every `poll_s` otherwise (another worker's)."""

    seconds: float = Field(300.0, gt=0)
    poll_s: float = Field(1.0, gt=0)


class OutboxWatchResult(BaseModel):
    dispatched: int = 0  # notices whose channels were all sent or skipped
    retrying: int = 0  # with a failed channel, dispatched again later
    given_up: int = 0  # still failing after the last retry: the failure stays on the delivery
    channels_failed: int = 0


class OutboxLoopInput(BaseModel):
    watch: OutboxWatch = OutboxWatch()
    passes: int = 0
    dispatched: int = 0
