"""LLM providers through their real SDKs against the fake server: good answers, and every way a provider
falls through (error, timeout, token budgets, invalid output) to the next one and finally to the rules."""

from __future__ import annotations

import pytest

from core.decisions.engine import decide
from tests.support.decision_world import DecisionWorld
from tests.support.fake_llm import FakeLlm, Reply, decision, good
from workflows.remediation.types import DecisionAction


async def test_anthropic_decides_through_the_decision_tool_with_incident_policy_and_runbooks_in_the_prompt(
    world: DecisionWorld, fake: FakeLlm
) -> None:
    company = await world.company({"risk_tolerance": "medium"})
    runbook = await world.runbook(company, name="Clean up disk", risk="medium")
    other = await world.runbook(company, name="Grow the volume", risk="high")
    incident = await world.incident(company, message="Disk /var at 97% on db")
    await world.past_run(incident, runbook, "succeeded", minutes_ago=120)
    fake.reply("anthropic", good("EXECUTE_RUNBOOK", runbook, reasoning="Cleanup fixed this before."))

    outcome = await decide(world.sessions, world.with_providers("anthropic", "rules"), incident, dry_run=True)

    assert outcome.decision.provider == "anthropic"
    assert outcome.decision.action == DecisionAction.EXECUTE_RUNBOOK
    assert outcome.decision.runbook_id == runbook
    assert outcome.decision.tokens_used == 180
    assert outcome.decision.fallbacks == []
    assert outcome.decision.reasoning.startswith("Cleanup fixed this before.")
    (request,) = fake.requests_to("anthropic")
    assert request.headers.get("Authorization") == "Bearer test-anthropic-key" or (
        request.headers.get("X-Api-Key") == "test-anthropic-key"
    )
    assert request.body["tool_choice"] == {"type": "tool", "name": "record_decision"}
    schema = request.body["tools"][0]["input_schema"]
    assert set(schema["properties"]["runbook_id"]["enum"]) == {runbook, other, None}
    for expected in (incident.incident_id, "disk_space_critical", "Disk /var at 97% on db", runbook, other):
        assert expected in request.text
    assert '"risk_tolerance": "medium"' in request.text and '"status": "succeeded"' in request.text
    assert await world.tokens_today(company) == 180


async def test_bedrock_converse_decides_with_the_same_tool(world: DecisionWorld, fake: FakeLlm) -> None:
    company = await world.company()
    runbook = await world.runbook(company)
    fake.reply("bedrock", good("APPROVE_REQUIRED", runbook, confidence=0.5))
    incident = await world.incident(company)

    outcome = await decide(world.sessions, world.with_providers("bedrock", "rules"), incident, dry_run=True)

    assert outcome.decision.provider == "bedrock"
    # The model may ask for approval that policy would not require; it never gets less.
    assert outcome.decision.action == DecisionAction.APPROVE_REQUIRED
    assert outcome.approval_role == "technician"
    (request,) = fake.requests_to("bedrock")
    assert request.path.startswith("/model/") and request.path.endswith("/converse")
    assert request.body["toolConfig"]["toolChoice"] == {"tool": {"name": "record_decision"}}
    assert incident.incident_id in request.text


async def test_gemini_decides_with_the_same_tool(world: DecisionWorld, fake: FakeLlm) -> None:
    company = await world.company()
    runbook = await world.runbook(company)
    fake.reply("gemini", good("EXECUTE_RUNBOOK", runbook))
    incident = await world.incident(company)

    outcome = await decide(world.sessions, world.with_providers("gemini", "rules"), incident, dry_run=True)

    assert outcome.decision.provider == "gemini", outcome.decision.fallbacks
    assert outcome.decision.runbook_id == runbook
    assert len(fake.requests_to("gemini")) == 1


@pytest.mark.parametrize("status", [500, 529, 429])
async def test_an_http_error_falls_through_to_the_next_provider(
    world: DecisionWorld, fake: FakeLlm, status: int
) -> None:
    company = await world.company()
    runbook = await world.runbook(company)
    fake.reply("anthropic", Reply(status=status))
    fake.reply("bedrock", good("EXECUTE_RUNBOOK", runbook))
    settings = world.with_providers("anthropic", "bedrock", "rules")

    outcome = await decide(world.sessions, settings, await world.incident(company), dry_run=True)

    assert outcome.decision.provider == "bedrock"
    assert len(outcome.decision.fallbacks) == 1 and outcome.decision.fallbacks[0].startswith("anthropic: ")
    assert len(fake.requests_to("anthropic")) == 1, "no SDK retries: the next provider is the retry"


async def test_every_provider_failing_ends_with_the_rules(world: DecisionWorld, fake: FakeLlm) -> None:
    company = await world.company()
    runbook = await world.runbook(company)
    fake.reply("anthropic", Reply(status=500))
    fake.reply("bedrock", Reply(status=503))
    fake.reply("gemini", Reply(status=500))
    settings = world.with_providers("anthropic", "bedrock", "gemini")

    outcome = await decide(world.sessions, settings, await world.incident(company), dry_run=True)

    assert outcome.decision.provider == "rules" and outcome.decision.runbook_id == runbook
    assert [f.split(":")[0] for f in outcome.decision.fallbacks] == ["anthropic", "bedrock", "gemini"]


async def test_a_slow_provider_times_out_and_the_rules_decide(world: DecisionWorld, fake: FakeLlm) -> None:
    company = await world.company()
    runbook = await world.runbook(company)
    fake.reply("anthropic", Reply(tool_input=decision("ESCALATE_TO_TECH", None), delay_s=5))
    settings = world.with_providers("anthropic", "rules", max_decision_seconds=0.5)

    outcome = await decide(world.sessions, settings, await world.incident(company), dry_run=True)

    assert outcome.decision.provider == "rules" and outcome.decision.runbook_id == runbook
    assert outcome.decision.fallbacks == ["anthropic: no answer within 0.5 s"]
    assert outcome.decision.duration_ms < 4000


async def test_an_answer_over_the_per_decision_token_cap_is_not_used_but_is_charged(
    world: DecisionWorld, fake: FakeLlm
) -> None:
    company = await world.company()
    await world.runbook(company)
    fake.reply(
        "anthropic",
        Reply(tool_input=decision("ESCALATE_TO_TECH", None), input_tokens=3900, output_tokens=200),
    )
    settings = world.with_providers("anthropic", "rules", max_tokens_per_decision=4000)

    outcome = await decide(world.sessions, settings, await world.incident(company), dry_run=True)

    assert outcome.decision.provider == "rules"
    assert outcome.decision.action == DecisionAction.EXECUTE_RUNBOOK
    assert "over the per-decision cap of 4000" in outcome.decision.fallbacks[0]
    assert outcome.decision.tokens_used == 4100
    assert await world.tokens_today(company) == 4100


async def test_the_companys_daily_budget_stops_llm_calls_once_spent(
    world: DecisionWorld, fake: FakeLlm
) -> None:
    company = await world.company({"daily_token_budget": 250})
    runbook = await world.runbook(company)
    fake.reply("anthropic", good("EXECUTE_RUNBOOK", runbook))  # 180 tokens an answer
    settings = world.with_providers("anthropic", "rules")

    first = await decide(world.sessions, settings, await world.incident(company), dry_run=True)
    second = await decide(world.sessions, settings, await world.incident(company), dry_run=True)
    third = await decide(world.sessions, settings, await world.incident(company), dry_run=True)

    assert first.decision.provider == "anthropic"
    assert (
        second.decision.provider == "rules"
        and "overran the company's daily budget" in second.decision.fallbacks[0]
    )
    assert (
        third.decision.provider == "rules"
        and "daily budget of 250 tokens is spent" in third.decision.fallbacks[0]
    )
    assert len(fake.requests_to("anthropic")) == 2, "no call once the budget is spent"
    assert await world.tokens_today(company) == 360


@pytest.mark.parametrize(
    "reply",
    [
        Reply(raw_body='{"id": "msg", "content": [ not json'),
        Reply(tool_input="EXECUTE_RUNBOOK please"),
        Reply(
            tool_input={"reasoning": "x", "action": "REBOOT_EVERYTHING", "runbook_id": None, "confidence": 1}
        ),
        Reply(
            tool_input={"reasoning": "x", "action": "EXECUTE_RUNBOOK", "runbook_id": None, "confidence": 0.9}
        ),
        Reply(
            tool_input={"reasoning": "x", "action": "ESCALATE_TO_TECH", "runbook_id": None, "confidence": 7}
        ),
        Reply(text_only=True),
    ],
    ids=[
        "malformed-json",
        "not-an-object",
        "unknown-action",
        "no-runbook",
        "confidence-out-of-range",
        "prose",
    ],
)
async def test_invalid_output_falls_through_to_the_rules(
    world: DecisionWorld, fake: FakeLlm, reply: Reply
) -> None:
    company = await world.company()
    runbook = await world.runbook(company)
    fake.reply("anthropic", reply)

    outcome = await decide(
        world.sessions,
        world.with_providers("anthropic", "rules"),
        await world.incident(company),
        dry_run=True,
    )

    assert outcome.decision.provider == "rules" and outcome.decision.runbook_id == runbook
    assert outcome.decision.fallbacks and outcome.decision.fallbacks[0].startswith("anthropic: ")


async def test_a_provider_without_credentials_is_passed_over_without_a_request(
    world: DecisionWorld, fake: FakeLlm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.delenv("ANTHROPIC_BASE_URL")
    company = await world.company()
    await world.runbook(company)

    outcome = await decide(
        world.sessions,
        world.with_providers("anthropic", "rules"),
        await world.incident(company),
        dry_run=True,
    )

    assert outcome.decision.provider == "rules"
    assert outcome.decision.fallbacks == [
        "anthropic: unavailable (neither ANTHROPIC_API_KEY nor ANTHROPIC_BASE_URL is set)"
    ]
    assert fake.requests == []
