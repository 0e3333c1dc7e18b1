"""A company's policy as workflows read it. Sandbox-safe: pydantic models and enums only."""

from __future__ import annotations

from enum import StrEnum

from pydantic import ConfigDict, Field

from workflows.assignment.types import AssignmentStrategy
from workflows.types import CorrelationPolicy, SlaTarget

__all__ = ["CompanyPolicy", "RiskTolerance", "SlaTarget"]


class RiskTolerance(StrEnum):
    """The riskiest runbook that may run without a human approving it; `none`: every runbook waits."""

    none = "none"
    low = "low"
    medium = "medium"
    high = "high"


class CompanyPolicy(CorrelationPolicy):
    """A company's whole policy. Correlation reads only its `CorrelationPolicy` fields."""

    model_config = ConfigDict(extra="forbid")

    risk_tolerance: RiskTolerance = RiskTolerance.low
    approval_timeout_minutes: int = Field(
        30, ge=1, le=7 * 24 * 60, description="an approval nobody answers within this escalates the incident"
    )
    max_runs_per_asset_hour: int = Field(
        3, ge=0, le=100, description="runs of one runbook on one asset per hour; past it, escalate"
    )
    daily_token_budget: int = Field(
        500_000, ge=0, description="LLM tokens per day for this company's decisions; past it, rules decide"
    )
    assignment_strategy: AssignmentStrategy = Field(
        "round_robin",
        description="among several matching technicians on call: round_robin (assigned longest ago) or "
        "least_loaded (fewest open incidents)",
    )
