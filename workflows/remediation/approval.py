"""Who must approve a runbook before it runs: the approval matrix, shared by the decision activity, the
API's role checks and the incident workflow's update validators. Pure and sandbox-safe."""

from __future__ import annotations

from workflows.policy import RiskTolerance
from workflows.remediation.types import RiskLevel

# Roles by authority; an approver needs at least the required one.
ROLE_RANK = {"technician": 1, "company_admin": 2, "msp_admin": 3}
# Failures in a row of one runbook on one asset after which it no longer runs without approval there.
FAILURES_ENDING_AUTO_APPROVAL = 2

_TOLERATED_RANK = {
    RiskTolerance.none: 0,
    RiskTolerance.low: RiskLevel.low.rank,
    RiskTolerance.medium: RiskLevel.medium.rank,
    RiskTolerance.high: RiskLevel.high.rank,
}


def required_role(
    risk: RiskLevel, tolerance: RiskTolerance, auto_approve: bool, failures_in_a_row_on_asset: int = 0
) -> str | None:
    """None: runs at once. Otherwise the least role that may approve: technician for low and medium risk,
    company_admin for high."""
    if (
        auto_approve
        and risk.rank <= _TOLERATED_RANK[tolerance]
        and failures_in_a_row_on_asset < FAILURES_ENDING_AUTO_APPROVAL
    ):
        return None
    return "company_admin" if risk == RiskLevel.high else "technician"


def may_approve(role: str, required: str | None) -> bool:
    if required is None:
        return True
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[required]
