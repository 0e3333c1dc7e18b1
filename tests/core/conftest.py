"""Fixtures of the core tests: sessions on both databases we support; for the decision tests,
companies, runbooks and incidents in the test database, and the fake LLM server that the provider SDKs
are pointed at. Tests with a `world` of another kind define their own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db.engine import create_engine, session_factory
from core.db.migrate import upgrade_to_head
from core.settings import Settings
from tests.support.decision_world import DecisionWorld, decision_world, fake_llm_behind_sdks
from tests.support.fake_llm import FakeLlm


@pytest.fixture(params=["postgresql", "sqlite"])
async def sessions(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Each test that asks for it runs twice: on PostgreSQL (production) and on a fresh, migrated SQLite
    file (the embedded default), because their SQL dialects differ where it matters (locks, dates)."""
    url = database_url
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'aw.db'}"
        await asyncio.to_thread(upgrade_to_head, url)
    engine = create_engine(url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[DecisionWorld]:
    async with decision_world(settings) as made:
        yield made


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeLlm]:
    async with fake_llm_behind_sdks(monkeypatch) as running:
        yield running
