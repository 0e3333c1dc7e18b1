"""Shared fixtures: one Temporal dev server and one PostgreSQL database per test session."""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from core.db.migrate import upgrade_to_head
from core.settings import Settings
from tests.support.stack import Stack, make_stack
from worker.temporal_server import temporal_cli
from workflows.incident.visibility import SEARCH_ATTRIBUTE_KEYS

POSTGRES_ADMIN = os.environ.get("AW_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_SECRET_KEY = "test-secret-key-" + "x" * 40


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        search_attributes=SEARCH_ATTRIBUTE_KEYS,
        data_converter=pydantic_data_converter,
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def temporal_client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database per run, migrated with Alembic like production."""
    name = f"aw_test_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    try:
        await asyncio.to_thread(upgrade_to_head, url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
        task_queue=f"test-{uuid.uuid4().hex[:10]}",
        webhook_answer_timeout_s=2.0,
        # The tests' HTTP client plays a reverse proxy: X-Forwarded-For names each test's own client
        # address (tests/support/signin.py), so throttling in one test never reaches another.
        trusted_proxies=["127.0.0.1"],
    )


@pytest.fixture
async def stack(settings: Settings, temporal_client: Client) -> AsyncIterator[Stack]:
    """API over HTTP plus a worker on this test's own task queue."""
    running = make_stack(settings, temporal_client)
    await running.start_api()
    running.start_worker()
    yield running
    await running.close()
