"""The browser tests' stack: a Temporal dev server with its Web UI (the incident page links to it), the
API serving the built UI, a worker with the local runbook executor, and one headless Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from tests.support.browser import CHROMIUM, MISSING_CHROMIUM, build_ui
from tests.support.ports import free_port
from tests.support.stack import Stack, make_stack
from worker.temporal_server import temporal_cli
from workflows.incident.visibility import SEARCH_ATTRIBUTE_KEYS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CHROMIUM.exists():
        terminalreporter.write_line(MISSING_CHROMIUM, red=True, bold=True)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        pytest.skip(MISSING_CHROMIUM)
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def built_ui(chromium_path: str) -> None:
    build_ui()


@pytest.fixture(scope="session")
async def browser(chromium_path: str, built_ui: None) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium_path, headless=True)
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    fresh = await browser.new_context(viewport={"width": 1280, "height": 900})
    yield fresh
    await fresh.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@pytest.fixture(scope="module")
async def temporal_with_ui(chromium_path: str) -> AsyncIterator[tuple[WorkflowEnvironment, str]]:
    ui_port = free_port()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        search_attributes=SEARCH_ATTRIBUTE_KEYS,
        data_converter=pydantic_data_converter,
        ui=True,
        ui_port=ui_port,
    )
    yield env, f"http://127.0.0.1:{ui_port}"
    await env.shutdown()


@pytest.fixture
async def web(settings: Settings, temporal_with_ui: tuple[WorkflowEnvironment, str]) -> AsyncIterator[Stack]:
    env, ui_url = temporal_with_ui
    running = make_stack(
        settings.model_copy(update={"local_executor": True, "temporal_ui_url": ui_url}), env.client
    )
    await running.start_api()
    running.start_worker()
    yield running
    await running.close()
