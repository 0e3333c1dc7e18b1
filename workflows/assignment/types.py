"""Assignment and escalation, as the incident workflow and the on-call activities pass them.

Sandbox-safe: pydantic models only. Every argument is one model, so a new field with a default never
breaks a signature or a recorded history.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from workflows.types import Severity

# How to choose among several matching technicians on call (a company's policy, workflows/policy.py):
# round_robin: whoever was assigned longest ago; least_loaded: whoever has the fewest open incidents.
AssignmentStrategy = Literal["round_robin", "least_loaded"]


class AssignRequest(BaseModel):
    incident_id: str
    company_id: str
    category: str | None = None
    severity: Severity


class Assignment(BaseModel):
    user_id: str | None = Field(description="null: nobody is on call")
    reason: str = Field(description="why this user, or why nobody, for the incident's timeline")


class EscalationRequest(BaseModel):
    incident_id: str
    company_id: str
    level: int = Field(ge=1, description="1 for the first escalation")


class EscalationStep(BaseModel):
    level: int = Field(description="the level resolved: a level naming nobody is passed over")
    notify_user_ids: list[str] = Field(default_factory=list)
    wait_minutes: int = Field(description="how long to wait for an answer before the next level")
    reassign_to: str | None = Field(default=None, description="the level's first user, if it reassigns")
    last_level: bool


class ApproversRequest(BaseModel):
    company_id: str
    required_role: str = Field(
        description="the least role that may approve (workflows/remediation/approval.py)"
    )


class Approvers(BaseModel):
    user_ids: list[str] = Field(default_factory=list, description="sorted; empty: nobody may approve")
