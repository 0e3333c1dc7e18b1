"""The decide_incident activity: takes the workflow's IncidentState as JSON, and never raises for a
provider's trouble."""

from __future__ import annotations

from temporalio.testing import ActivityEnvironment

from activities.decisions import Decider
from tests.support.decision_world import DecisionWorld
from tests.support.fake_llm import FakeLlm, Reply
from workflows.remediation.types import DecisionAction, DecisionRequest


async def test_the_activity_decides_with_the_rules_when_the_llm_is_down(
    world: DecisionWorld, fake: FakeLlm
) -> None:
    company = await world.company()
    runbook = await world.runbook(company)
    incident = await world.incident(company)
    fake.reply("anthropic", Reply(status=500))
    decider = Decider(world.sessions, world.with_providers("anthropic", "rules"))

    outcome = await ActivityEnvironment().run(
        decider.decide, DecisionRequest(incident=incident.model_dump(mode="json"))
    )

    assert outcome.decision.action == DecisionAction.EXECUTE_RUNBOOK
    assert outcome.decision.runbook_id == runbook and outcome.decision.provider == "rules"
    assert outcome.decision.fallbacks[0].startswith("anthropic: InternalServerError")
    assert len(fake.requests) == 1
