"""Fixtures of the decision tests: companies, runbooks and incidents in the test database, and the fake
LLM server that the provider SDKs are pointed at. Tests with a `world` of another kind define their own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.settings import Settings
from tests.support.decision_world import DecisionWorld, decision_world, fake_llm_behind_sdks
from tests.support.fake_llm import FakeLlm


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[DecisionWorld]:
    async with decision_world(settings) as made:
        yield made


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeLlm]:
    async with fake_llm_behind_sdks(monkeypatch) as running:
        yield running
