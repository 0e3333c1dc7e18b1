"""The approval matrix (workflows/remediation/approval.py): which runbooks run at once, and who may
approve the rest. Pure; the workflow, the decision activity and the API's role checks all read it."""

from __future__ import annotations

import pytest

from workflows.policy import RiskTolerance
from workflows.remediation.approval import FAILURES_ENDING_AUTO_APPROVAL, may_approve, required_role
from workflows.remediation.types import RiskLevel

LOW, MEDIUM, HIGH = RiskLevel.low, RiskLevel.medium, RiskLevel.high


@pytest.mark.parametrize(
    ("tolerance", "runs_at_once"),
    [
        (RiskTolerance.none, set()),
        (RiskTolerance.low, {LOW}),
        (RiskTolerance.medium, {LOW, MEDIUM}),
        (RiskTolerance.high, {LOW, MEDIUM, HIGH}),
    ],
)
def test_an_auto_approved_runbook_runs_at_once_up_to_the_companys_risk_tolerance(
    tolerance: RiskTolerance, runs_at_once: set[RiskLevel]
) -> None:
    at_once = {risk for risk in RiskLevel if required_role(risk, tolerance, auto_approve=True) is None}
    assert at_once == runs_at_once


@pytest.mark.parametrize("tolerance", list(RiskTolerance))
def test_a_runbook_not_marked_auto_approve_always_waits_for_a_human(tolerance: RiskTolerance) -> None:
    assert [required_role(risk, tolerance, auto_approve=False) for risk in (LOW, MEDIUM, HIGH)] == [
        "technician",
        "technician",
        "company_admin",
    ]


def test_failures_in_a_row_on_the_asset_end_auto_approval_there_at_the_threshold() -> None:
    assert FAILURES_ENDING_AUTO_APPROVAL == 2
    below = required_role(LOW, RiskTolerance.high, True, failures_in_a_row_on_asset=1)
    at = required_role(LOW, RiskTolerance.high, True, failures_in_a_row_on_asset=2)
    high_at = required_role(HIGH, RiskTolerance.high, True, failures_in_a_row_on_asset=2)
    assert (below, at, high_at) == (None, "technician", "company_admin")


@pytest.mark.parametrize(
    ("role", "required", "allowed"),
    [
        ("technician", "technician", True),
        ("technician", "company_admin", False),
        ("company_admin", "technician", True),
        ("company_admin", "company_admin", True),
        ("msp_admin", "company_admin", True),
        ("viewer", "technician", False),  # a role outside the matrix approves nothing
        ("viewer", None, True),  # nothing to approve: anyone may go on
    ],
)
def test_an_approver_needs_at_least_the_required_role(role: str, required: str | None, allowed: bool) -> None:
    assert may_approve(role, required) is allowed
