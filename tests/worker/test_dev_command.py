"""`alert-whisperer dev` as a developer runs it: one command up, Ctrl-C down, and nothing lost in between."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.runbooks.library import DEMO, STARTER
from tests.support.dev_process import DevProcess, dev_env
from tests.support.stack import accepted
from worker.temporal_server import temporal_cli


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in parentheses may hold spaces; the parent pid is the second field after it.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def died_soon(pids: list[int], within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def listed_soon(dev: DevProcess, incident_id: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while True:
        items = dev.incidents()
        if incident_id in {i["id"] for i in items}:
            return items
        assert time.monotonic() < deadline, f"incident {incident_id} never listed; saw {items}"
        time.sleep(0.2)


ALERT = {
    "asset_name": "db-prod-01",
    "signature": "disk_space_critical",
    "severity": "high",
    "message": "Disk /var at 95%",
    "tool_source": "datadog",
}


def test_dev_runs_everything_stops_cleanly_on_ctrl_c_and_restarts_with_its_state(dev: DevProcess) -> None:
    dev.start()
    creds = dev.credentials()
    assert set(creds) >= {"company_id", "api_key", "hmac_secret", "admin_email", "admin_password"}
    assert creds["admin_email"] == "admin@example.com"
    assert (dev.data_dir / "demo-credentials.json").stat().st_mode & 0o777 == 0o600

    delivery_id = str(uuid.uuid4())
    first = dev.post_alert(ALERT, delivery_id)
    incident_id = dev.incident_of(first)
    listed = listed_soon(dev, incident_id)
    assert {i["company_id"] for i in listed} == {creds["company_id"]}
    seeded = dev.runbook_names()
    assert seeded == sorted(s.name for s in (*STARTER, *DEMO))

    ui = httpx.get(f"http://127.0.0.1:{dev.ui_port}/", timeout=30, follow_redirects=True)
    assert ui.status_code == 200
    assert dev.process is not None
    temporal_children = children_of(dev.process.pid)
    assert temporal_children, "the Temporal dev server is not a child of the dev process"
    assert listening(dev.temporal_port)

    assert dev.interrupt(whole_group=False) == 0, dev.log()
    assert not any(alive(pid) for pid in temporal_children), "the Temporal dev server outlived its supervisor"
    assert not listening(dev.temporal_port)
    assert not listening(dev.ui_port)
    assert not listening(dev.api_port)

    # Same data directory: the same tenant, the incident still listed, and its workflow still running.
    dev.start()
    assert dev.credentials() == creds
    assert incident_id in {i["id"] for i in dev.incidents()}
    assert dev.runbook_names() == seeded  # seeded again on start: only what is missing
    retry = dev.post_alert(ALERT, delivery_id)
    assert accepted(retry)["duplicate"] is True
    assert retry.json()["alert_id"] == first.json()["alert_id"]
    assert dev.incident_of(retry) == incident_id
    # Correlated into the incident the first run opened (a 202 `queued` answer cannot say so yet).
    follow_up = dev.post_alert({**ALERT, "message": "Disk /var at 97%"}, str(uuid.uuid4()))
    assert dev.incident_of(follow_up) == incident_id
    assert follow_up.status_code == 202 or follow_up.json()["correlated"] is True

    temporal_children = children_of(dev.process.pid)
    assert dev.interrupt(whole_group=True) == 0, dev.log()
    assert not any(alive(pid) for pid in temporal_children)
    assert not listening(dev.temporal_port)


def test_killed_dev_takes_its_temporal_server_with_it(dev: DevProcess) -> None:
    dev.start()
    assert dev.process is not None
    temporal_children = children_of(dev.process.pid)
    assert temporal_children, "the Temporal dev server is not a child of the dev process"

    dev.process.kill()  # SIGKILL to the supervisor alone: no handler runs, nothing cleans up
    dev.process.wait()

    assert died_soon(temporal_children, within_s=10), "the Temporal dev server outlived a killed `dev`"
    assert not listening(dev.temporal_port)


@pytest.fixture
def foreign_temporal_server(dev: DevProcess) -> Iterator[subprocess.Popen[bytes]]:
    """A Temporal dev server on the port `dev` wants, started by someone else (as an orphan would be)."""
    server = subprocess.Popen(
        [
            temporal_cli(),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(dev.temporal_port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not listening(dev.temporal_port):
            assert server.poll() is None and time.monotonic() < deadline, "the foreign server did not start"
            time.sleep(0.1)
        yield server
    finally:
        server.kill()
        server.wait()


def test_dev_refuses_a_temporal_port_held_by_a_server_it_did_not_start(
    dev: DevProcess, foreign_temporal_server: subprocess.Popen[bytes]
) -> None:
    try:
        result = subprocess.run(
            dev.command(),
            cwd=dev.workdir,
            env=dev_env(),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("dev kept running on a Temporal server it did not start")
    said = result.stdout + result.stderr

    assert result.returncode == 2, said
    assert f"Port {dev.temporal_port}" in said, said
    assert f"PID {foreign_temporal_server.pid}" in said, said
    assert f"kill {foreign_temporal_server.pid}" in said, said
    assert "--temporal-port" in said, said
    assert not listening(dev.api_port), "dev started its API against a server it did not start"
    assert foreign_temporal_server.poll() is None, "dev must not touch a server it did not start"
