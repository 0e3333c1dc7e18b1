"""Fixtures of the API tests beyond the shared ones in tests/conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client

from core.settings import Settings
from tests.support.stack import Stack, make_stack


@pytest.fixture
async def api(settings: Settings, temporal_client: Client) -> AsyncIterator[Stack]:
    """The API alone, without a worker: for reads of rows the tests write themselves."""
    running = make_stack(settings, temporal_client)
    await running.start_api()
    yield running
    await running.close()
