"""Local ports for processes under test: chosen outside the range outgoing connections take."""

from __future__ import annotations

import socket

import pytest

from worker.ports import free_port


def test_free_port_is_bindable_and_below_the_ephemeral_range() -> None:
    port = free_port()
    assert 20000 <= port < 32000
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))


def test_free_port_skips_a_port_that_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match="no free TCP port"):
            free_port(low=busy, high=busy + 1)
