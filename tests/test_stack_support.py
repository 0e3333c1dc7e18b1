"""The test stack fails fast and clearly when its API server cannot start."""

from __future__ import annotations

import socket
import time

import pytest
from temporalio.client import Client

from core.settings import Settings
from tests.support.stack import make_stack


async def test_api_that_cannot_bind_its_port_fails_at_once_with_a_clear_error(
    settings: Settings, temporal_client: Client
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        running = make_stack(settings, temporal_client)
        started = time.monotonic()
        try:
            with pytest.raises(RuntimeError, match="stopped before it started listening"):
                await running.start_api(port=taken.getsockname()[1])
        finally:
            await running.services.close()
    assert time.monotonic() - started < 10
