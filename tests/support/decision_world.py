"""Companies, runbooks, alerts and past runs written straight to the database, for decision tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db.engine import create_engine, session_factory
from core.db.models import Alert, Company, LlmUsage, RemediationRun, Runbook, new_id
from core.settings import Settings
from tests.support.fake_llm import FakeLlm, running_fake_llm
from workflows.types import IncidentState, IncidentStatus, Severity

DISK = "disk_space_critical"


@dataclass
class DecisionWorld:
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings

    def with_providers(self, *names: str, **overrides: Any) -> Settings:
        return self.settings.model_copy(update={"agent_provider": list(names), **overrides})

    async def company(
        self, policy: dict[str, Any] | None = None, assets: list[dict[str, Any]] | None = None
    ) -> str:
        async with self.sessions() as session, session.begin():
            company = Company(name=f"Acme {uuid.uuid4().hex[:6]}", policy=policy or {}, assets=assets or [])
            session.add(company)
        return company.id

    async def runbook(
        self,
        company_id: str | None,
        *,
        name: str = "Clean up disk",
        signatures: tuple[str, ...] = ("disk_*",),
        risk: str = "low",
        auto_approve: bool = True,
        executor: str = "local",
        actions: tuple[str, ...] = ("journalctl --vacuum-size=200M",),
        parameters: list[dict[str, Any]] | None = None,
    ) -> str:
        async with self.sessions() as session, session.begin():
            runbook = Runbook(
                company_id=company_id,
                name=name,
                signatures=list(signatures),
                risk_level=risk,
                executor=executor,
                actions=list(actions),
                parameters=parameters or [],
                auto_approve=auto_approve,
            )
            session.add(runbook)
        return runbook.id

    async def incident(
        self,
        company_id: str,
        *,
        severity: str = "high",
        signature: str = DISK,
        asset_name: str | None = None,
        asset_id: str | None = None,
        message: str = "Disk /var at 95%",
        labels: dict[str, Any] | None = None,
    ) -> IncidentState:
        asset_name = asset_name or f"db-{uuid.uuid4().hex[:6]}"
        incident_id = f"incident-{uuid.uuid4().hex[:12]}"
        now = datetime.now(UTC)
        async with self.sessions() as session, session.begin():
            alert_id = new_id("al")
            session.add(
                Alert(
                    id=alert_id,
                    company_id=company_id,
                    delivery_id=alert_id,
                    asset_name=asset_name,
                    asset_id=asset_id,
                    signature=signature,
                    severity=severity,
                    message=message,
                    tool_source="datadog",
                    labels=labels or {},
                    status="firing",
                    fingerprint=f"{asset_name}|{signature}",
                    aggregation_key=f"{asset_name}|{signature}",
                    received_at=now,
                    incident_id=incident_id,
                )
            )
        return IncidentState(
            incident_id=incident_id,
            company_id=company_id,
            aggregation_key=f"{asset_name}|{signature}",
            generation=1,
            status=IncidentStatus.new,
            asset_name=asset_name,
            asset_id=asset_id,
            signature=signature,
            title=message,
            severity=Severity(severity),
            alert_count=1,
            tool_sources=["datadog"],
        )

    async def past_run(
        self, incident: IncidentState, runbook_id: str, status: str, *, minutes_ago: float = 10
    ) -> None:
        requested = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        async with self.sessions() as session, session.begin():
            session.add(
                RemediationRun(
                    id=new_id("run"),
                    incident_id=incident.incident_id,
                    company_id=incident.company_id,
                    asset_name=incident.asset_name,
                    signature=incident.signature,
                    runbook_id=runbook_id,
                    status=status,
                    requested_at=requested,
                    started_at=requested,
                    finished_at=requested + timedelta(minutes=2),
                )
            )

    async def tokens_today(self, company_id: str) -> int:
        async with self.sessions() as session:
            row = await session.get(LlmUsage, (company_id, datetime.now(UTC).date().isoformat()))
            return row.tokens if row is not None else 0


@asynccontextmanager
async def decision_world(settings: Settings) -> AsyncIterator[DecisionWorld]:
    engine = create_engine(settings.database_url)
    try:
        yield DecisionWorld(session_factory(engine), settings)
    finally:
        await engine.dispose()


def point_sdks_at(fake: FakeLlm, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDKs' own settings, as an operator would set them, aimed at the fake."""
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-anthropic-key")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", fake.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.url)
    monkeypatch.setenv("GEMINI_API_KEY", "test-gemini-key")
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)


@asynccontextmanager
async def fake_llm_behind_sdks(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeLlm]:
    """The fake LLM server, with every provider SDK's own settings aimed at it."""
    async with running_fake_llm() as running:
        point_sdks_at(running, monkeypatch)
        yield running
