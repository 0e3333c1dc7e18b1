"""`alert-whisperer api` as production runs it: a client that never finishes its headers is cut off."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from tests.support.ports import free_port

CLI = Path(sys.executable).parent / "alert-whisperer"
HEADER_TIMEOUT_S = 1
# Far beyond the configured timeout, yet short of forever: a client still connected by then was not cut off.
GIVE_UP_S = 15


@pytest.fixture(scope="module")
def api_port(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, temporal_client: Client
) -> Iterator[int]:
    tmp_path = tmp_path_factory.mktemp("api")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AW_")}
    env |= {
        "AW_DATABASE_URL": database_url,
        "AW_TEMPORAL_ADDRESS": temporal_client.service_client.config.target_host,
        "AW_API_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
    }
    log = tmp_path / "api.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(CLI), "api", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"api exited:\n{log.read_text()[-3000:]}"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/agent/ping", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"api did not answer:\n{log.read_text()[-3000:]}"
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def read_until_closed(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes; socket.timeout if it is still open after GIVE_UP_S."""
    received = b""
    while chunk := conn.recv(4096):
        received += chunk
    return received


def test_client_that_stops_mid_request_line_is_answered_408_and_disconnected(api_port: int) -> None:
    with socket.create_connection(("127.0.0.1", api_port), timeout=GIVE_UP_S) as conn:
        conn.sendall(b"GET /api/agent/ping HTT")
        try:
            answer = read_until_closed(conn)
        except TimeoutError:
            pytest.fail(f"a half-sent request line held its connection for {GIVE_UP_S} s")
    assert answer.startswith(b"HTTP/1.1 408"), answer


def test_client_that_connects_and_sends_nothing_is_disconnected(api_port: int) -> None:
    with socket.create_connection(("127.0.0.1", api_port), timeout=GIVE_UP_S) as conn:
        try:
            read_until_closed(conn)
        except TimeoutError:
            pytest.fail(f"a silent client held its connection for {GIVE_UP_S} s")


def test_client_trickling_its_headers_is_disconnected_although_it_never_goes_quiet(api_port: int) -> None:
    trickle = b"GET /api/agent/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 200
    with socket.create_connection(("127.0.0.1", api_port), timeout=GIVE_UP_S) as conn:
        for byte in trickle:
            try:
                conn.sendall(bytes([byte]))
            except OSError:  # reset: the server has closed it
                return
            conn.settimeout(0.1)
            try:
                conn.recv(4096)  # a 408, or b"" when closed: either way the server gave up on this client
                return
            except TimeoutError:
                pass
            except OSError:  # reset
                return
        pytest.fail(f"a client sending a header byte every 0.1 s held its connection {len(trickle) / 10} s")


def test_a_complete_request_is_still_served(api_port: int) -> None:
    with socket.create_connection(("127.0.0.1", api_port), timeout=GIVE_UP_S) as conn:
        conn.sendall(b"GET /api/agent/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = read_until_closed(conn)
    assert answer.startswith(b"HTTP/1.1 200"), answer
