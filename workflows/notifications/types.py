"""Notifications as the incident workflow sends them. Sandbox-safe."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from workflows.types import Severity


class NotificationKind(StrEnum):
    assignment = "assignment"
    approval_requested = "approval_requested"
    sla_warning = "sla_warning"
    sla_breached = "sla_breached"
    escalation = "escalation"
    runbook_failed = "runbook_failed"


class NotifyRequest(BaseModel):
    # Chosen by the workflow, deterministic: a retried or replayed send never notifies twice.
    notification_key: str
    company_id: str
    incident_id: str
    kind: NotificationKind
    severity: Severity
    title: str
    body: str = ""
    user_ids: list[str]
    link: str | None = None


class NotifyResult(BaseModel):
    delivered: dict[str, list[str]] = Field(default_factory=dict)
    failed: dict[str, str] = Field(default_factory=dict)
    skipped: list[str] = Field(default_factory=list)
