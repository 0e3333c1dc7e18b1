"""The time-skipping test server for workflow tests: durable timers of hours finish in milliseconds."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.support.time_skipping import time_skipping_env


@pytest.fixture
async def skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    async with time_skipping_env() as env:
        yield env
