"""Shared fixtures: one Temporal dev server per test session, one PostgreSQL database per test module
(copied from a template migrated once per session)."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from tests.support import hypothesis_profiles
from tests.support.databases import cloned_database, migrated_template
from tests.support.stack import Stack, make_stack
from worker.temporal_server import temporal_cli
from workflows.incident.visibility import SEARCH_ATTRIBUTE_KEYS

TEST_SECRET_KEY = "test-secret-key-" + "x" * 40

# mailbox (a real SMTP server), slack (a webhook receiver) and mailing_stack, for tests that watch notices.
pytest_plugins = ["tests.support.notification_fixtures"]

hypothesis_profiles.load_profile()  # before any test module builds its settings on the default profile


@pytest.hookimpl(tryfirst=True)  # before the hypothesis plugin reads --hypothesis-seed
def pytest_configure(config: pytest.Config) -> None:
    hypothesis_profiles.choose_seed(config)


def pytest_report_header(config: pytest.Config) -> str:
    return hypothesis_profiles.report_header(config)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    # Again at the end, where -q shows it too: the seed that reruns this run's random examples.
    terminalreporter.write_line(hypothesis_profiles.report_header(config))


@pytest.fixture(scope="session", autouse=True)
async def no_task_outlives_the_session() -> AsyncIterator[None]:
    """A task a test left running would hang the session's end, where the event loop cancels what is
    left; cancel them here, and name any that ignores cancellation, so it fails loudly instead."""
    yield
    left = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in left:
        task.cancel()
    if not left:
        return
    _, stuck = await asyncio.wait(left, timeout=15)
    for task in stuck:
        print(f"\ntask ignoring cancellation at the session's end: {task!r}", file=sys.__stderr__)
        task.print_stack(file=sys.__stderr__)
    assert not stuck, f"{len(stuck)} task(s) outlived the session and ignore cancellation"


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
async def template_database() -> AsyncIterator[str]:
    """One database per session, migrated with Alembic like production; every test module gets a copy."""
    async with migrated_template() as name:
        yield name


@pytest.fixture(scope="module")
async def database_url(template_database: str) -> AsyncIterator[str]:
    """A database per test module: nothing a module leaves behind reaches another one. A module whose
    tests must not see each other's rows either (redelivery scans every company) overrides this with
    a function-scoped fixture that also uses `cloned_database`."""
    async with cloned_database(template_database) as url:
        yield url


@pytest.fixture
async def own_database_url(template_database: str) -> AsyncIterator[str]:
    """A database for one test, for modules that override `database_url` with it."""
    async with cloned_database(template_database) as url:
        yield url


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
