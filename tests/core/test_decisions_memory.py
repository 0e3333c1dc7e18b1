"""Memory: failures in a row end auto-approval on that asset, the hourly guardrail escalates, and
confidence follows the runbook's history on the signature."""

from __future__ import annotations

from core.decisions.engine import decide
from tests.support.decision_world import DecisionWorld
from workflows.remediation.types import DecisionAction


async def test_two_failures_in_a_row_on_an_asset_end_auto_approval_there_only(world: DecisionWorld) -> None:
    company = await world.company({"risk_tolerance": "medium"})
    runbook = await world.runbook(company, risk="low")
    failing = await world.incident(company, asset_name="db-01")
    await world.past_run(failing, runbook, "failed", minutes_ago=200)
    await world.past_run(failing, runbook, "rolled_back", minutes_ago=100)

    there = await decide(
        world.sessions, world.settings, await world.incident(company, asset_name="db-01"), True
    )
    elsewhere = await decide(
        world.sessions, world.settings, await world.incident(company, asset_name="db-02"), True
    )

    assert there.decision.action == DecisionAction.APPROVE_REQUIRED and there.approval_role == "technician"
    assert "failed 2 times in a row on db-01" in there.decision.reasoning
    assert elsewhere.decision.action == DecisionAction.EXECUTE_RUNBOOK


async def test_a_success_after_a_failure_keeps_auto_approval(world: DecisionWorld) -> None:
    company = await world.company()
    runbook = await world.runbook(company)
    incident = await world.incident(company, asset_name="db-03")
    await world.past_run(incident, runbook, "failed", minutes_ago=300)
    await world.past_run(incident, runbook, "succeeded", minutes_ago=200)
    await world.past_run(incident, runbook, "failed", minutes_ago=100)

    outcome = await decide(world.sessions, world.settings, incident, True)

    assert outcome.decision.action == DecisionAction.EXECUTE_RUNBOOK


async def test_runs_past_the_hourly_limit_escalate_instead_of_looping(world: DecisionWorld) -> None:
    company = await world.company({"max_runs_per_asset_hour": 2})
    runbook = await world.runbook(company, name="Restart service")
    incident = await world.incident(company, asset_name="web-07")
    await world.past_run(incident, runbook, "succeeded", minutes_ago=50)
    await world.past_run(incident, runbook, "succeeded", minutes_ago=20)
    await world.past_run(incident, runbook, "rejected", minutes_ago=10)  # ran nothing: not counted

    outcome = await decide(world.sessions, world.settings, incident, True)

    assert outcome.decision.action == DecisionAction.ESCALATE_TO_TECH
    assert outcome.plan is None and outcome.approval_role is None
    assert "already ran 2 time(s) on web-07 in the last hour" in outcome.decision.reasoning


async def test_runs_older_than_an_hour_do_not_count_towards_the_limit(world: DecisionWorld) -> None:
    company = await world.company({"max_runs_per_asset_hour": 1})
    runbook = await world.runbook(company)
    incident = await world.incident(company)
    await world.past_run(incident, runbook, "succeeded", minutes_ago=61)

    outcome = await decide(world.sessions, world.settings, incident, True)

    assert outcome.decision.action == DecisionAction.EXECUTE_RUNBOOK


async def test_confidence_follows_the_runbooks_history_on_the_signature(world: DecisionWorld) -> None:
    proven_company, doubtful_company = await world.company(), await world.company()
    proven = await world.runbook(proven_company)
    doubtful = await world.runbook(doubtful_company)
    for company, runbook, status in (
        (proven_company, proven, "succeeded"),
        (doubtful_company, doubtful, "failed"),
    ):
        for asset in ("a-1", "a-2", "a-3", "a-4"):  # one run per asset: no failures in a row on the next
            await world.past_run(
                await world.incident(company, asset_name=asset), runbook, status, minutes_ago=300
            )

    sure = await decide(world.sessions, world.settings, await world.incident(proven_company), True)
    unsure = await decide(world.sessions, world.settings, await world.incident(doubtful_company), True)
    fresh = await decide(world.sessions, world.settings, await world.incident(await world.company()), True)

    assert unsure.decision.confidence < sure.decision.confidence
    assert "4 of 4 runs succeeded" in sure.decision.reasoning
    assert "0 of 4 runs succeeded" in unsure.decision.reasoning
    assert fresh.decision.action == DecisionAction.ESCALATE_TO_TECH
