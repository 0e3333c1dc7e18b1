"""Auto-assignment and escalation-chain steps, as the incident workflow asks for them. Sandbox-safe."""

from __future__ import annotations

from pydantic import BaseModel, Field

from workflows.types import Severity


class AssignRequest(BaseModel):
    incident_id: str
    company_id: str
    category: str | None = None
    severity: Severity = Severity.low


class Assignment(BaseModel):
    user_id: str | None = None
    reason: str = ""


class EscalationRequest(BaseModel):
    incident_id: str
    company_id: str
    level: int


class EscalationStep(BaseModel):
    level: int
    notify_user_ids: list[str] = Field(default_factory=list)
    wait_minutes: int = 15
    reassign_to: str | None = None
    last_level: bool = False
