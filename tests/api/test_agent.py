"""The agent API over HTTP: ping reports the providers, and POST /api/agent/decide answers a dry-run
decision, as JSON or as Server-Sent Events streaming the model's reasoning."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from core.accounts.roles import Role
from core.accounts.users import create_user
from core.db.models import DecisionRecord, Incident
from core.settings import Settings
from tests.support.decision_world import DecisionWorld, fake_llm_behind_sdks
from tests.support.fake_llm import FakeLlm, Reply, good
from tests.support.signin import bearer, cheap_password_hashes, login
from tests.support.stack import Stack
from workflows.remediation.types import DecisionAction, DecisionOutcome

REASONING = "Disk cleanup resolved this signature before; the runbook is low risk."


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeLlm]:
    async with fake_llm_behind_sdks(monkeypatch) as running:
        yield running


@pytest.fixture
def settings(settings: Settings, fake: FakeLlm) -> Settings:
    """Claude first, the rules last; the SDKs find the fake through their own environment variables."""
    return settings.model_copy(update={"agent_provider": ["anthropic", "rules"]})


@pytest.fixture
def world(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> DecisionWorld:
    cheap_password_hashes(stack, monkeypatch)
    return DecisionWorld(stack.services.sessions, stack.settings)


async def technician_token(stack: Stack, company_id: str) -> dict[str, str]:
    email, password = f"tech-{uuid.uuid4().hex[:8]}@example.com", "correct horse battery"
    async with stack.services.sessions() as session, session.begin():
        await create_user(
            session,
            stack.services.passwords,
            email=email,
            password=password,
            role=Role.technician,
            company_ids=[company_id],
        )
    response = await login(stack, email, password)
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


async def projected_incident(world: DecisionWorld, company_id: str) -> str:
    """An incident as its workflow would have projected it, with its alert."""
    state = await world.incident(company_id, severity="high")
    now = datetime.now(UTC)
    async with world.sessions() as session, session.begin():
        session.add(
            Incident(
                id=state.incident_id,
                company_id=company_id,
                aggregation_key=state.aggregation_key,
                generation=1,
                status="new",
                severity="high",
                priority_score=50,
                alert_count=1,
                signature=state.signature,
                asset_name=state.asset_name,
                title=state.title,
                created_at=now,
                updated_at=now,
            )
        )
    return state.incident_id


def sse_events(body: str) -> list[tuple[str, str]]:
    events, name, data = [], "message", []
    for line in [*body.splitlines(), ""]:
        if not line:
            if data:
                events.append((name, "\n".join(data)))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[len("event:") :].strip()
        elif line.startswith("data:"):
            data.append(line[len("data:") :].lstrip())
    return events


async def test_ping_reports_the_configured_provider_and_which_providers_can_be_asked(stack: Stack) -> None:
    response = await stack.http.get(f"{stack.url}/api/agent/ping")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["task_queue"] == stack.settings.task_queue
    assert body["provider"] == "anthropic"
    assert body["providers_available"] == {"rules": True, "anthropic": True, "bedrock": True, "gemini": True}
    assert body["ready_for_agentcore"] is True


async def test_ping_without_anthropic_credentials_is_not_ready(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.delenv("ANTHROPIC_BASE_URL")

    body = (await stack.http.get(f"{stack.url}/api/agent/ping")).json()

    assert body["providers_available"]["anthropic"] is False
    assert body["providers_available"]["rules"] is True
    assert body["ready_for_agentcore"] is False


async def test_decide_answers_a_dry_run_decision_and_stores_none(
    stack: Stack, world: DecisionWorld, fake: FakeLlm
) -> None:
    company = await world.company()
    runbook = await world.runbook(company)
    incident_id = await projected_incident(world, company)
    fake.reply("anthropic", good("EXECUTE_RUNBOOK", runbook, reasoning=REASONING))

    response = await stack.http.post(
        f"{stack.url}/api/agent/decide",
        json={"incident_id": incident_id},
        headers=await technician_token(stack, company),
    )

    assert response.status_code == 200, response.text
    outcome = DecisionOutcome.model_validate(response.json())
    assert outcome.decision.provider == "anthropic"
    assert outcome.decision.action == DecisionAction.EXECUTE_RUNBOOK
    assert outcome.plan is not None and outcome.plan.runbook_id == runbook
    assert incident_id in fake.requests_to("anthropic")[0].text
    async with stack.services.sessions() as session:
        stored = await session.execute(select(func.count()).where(DecisionRecord.incident_id == incident_id))
        assert stored.scalar_one() == 0


async def test_decide_for_another_tenants_incident_answers_404(stack: Stack, world: DecisionWorld) -> None:
    mine, theirs = await world.company(), await world.company()
    incident_id = await projected_incident(world, theirs)
    headers = await technician_token(stack, mine)

    for asked in (incident_id, "incident-that-does-not-exist"):
        response = await stack.http.post(
            f"{stack.url}/api/agent/decide", json={"incident_id": asked}, headers=headers
        )
        assert response.status_code == 404, response.text


async def test_decide_streams_the_models_reasoning_then_the_decision(
    stack: Stack, world: DecisionWorld, fake: FakeLlm
) -> None:
    company = await world.company()
    runbook = await world.runbook(company)
    incident_id = await projected_incident(world, company)
    fake.reply("anthropic", good("EXECUTE_RUNBOOK", runbook, reasoning=REASONING))

    async with stack.http.stream(
        "POST",
        f"{stack.url}/api/agent/decide",
        json={"incident_id": incident_id, "stream": True},
        headers=await technician_token(stack, company),
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events((await response.aread()).decode())

    reasoning = [json.loads(data)["text"] for name, data in events if name == "reasoning"]
    assert len(reasoning) > 1, "token deltas, not one block"
    assert "".join(reasoning) == REASONING
    assert events[-1][0] == "decision"
    outcome = DecisionOutcome.model_validate_json(events[-1][1])
    assert outcome.decision.provider == "anthropic" and outcome.decision.runbook_id == runbook


async def test_a_streamed_decision_reports_a_fallback_and_the_rules_reasoning(
    stack: Stack, world: DecisionWorld, fake: FakeLlm
) -> None:
    company = await world.company()
    await world.runbook(company)
    incident_id = await projected_incident(world, company)
    fake.reply("anthropic", Reply(status=529))

    async with stack.http.stream(
        "POST",
        f"{stack.url}/api/agent/decide",
        json={"incident_id": incident_id, "stream": True},
        headers=await technician_token(stack, company),
    ) as response:
        events = sse_events((await response.aread()).decode())

    assert [name for name, _ in events] == ["fallback", "reasoning", "decision"]
    assert json.loads(events[0][1])["reason"].startswith("anthropic: ")
    outcome = DecisionOutcome.model_validate_json(events[-1][1])
    assert outcome.decision.provider == "rules"
    assert json.loads(events[1][1])["text"] == outcome.decision.reasoning
