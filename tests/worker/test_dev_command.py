"""`alert-whisperer dev` as a developer runs it: one command up, Ctrl-C down, and nothing lost in between."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.ingest.signature import sign
from core.runbooks.library import DEMO, STARTER
from worker.temporal_server import temporal_cli

CLI = Path(sys.executable).parent / "alert-whisperer"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


def dev_env() -> dict[str, str]:
    """No AW_ variables at all: SQLite in the data dir and the development secret key."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AW_")}


def died_soon(pids: list[int], within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


class DevProcess:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.api_port, self.temporal_port, self.ui_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.api_port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def command(self) -> list[str]:
        return [
            str(CLI),
            "dev",
            "--data-dir",
            str(self.data_dir),
            "--api-port",
            str(self.api_port),
            "--temporal-port",
            str(self.temporal_port),
            "--temporal-ui-port",
            str(self.ui_port),
        ]

    def start(self) -> None:
        self.runs += 1
        log = self.workdir / f"dev-{self.runs}.log"
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.workdir,
                env=dev_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so cleanup can reach the Temporal child
            )
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, f"dev exited with {self.process.returncode}:\n{self.log()}"
            try:
                if httpx.get(f"{self.url}/api/agent/ping", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"API did not answer within 60 s:\n{self.log()}"
            time.sleep(0.3)

    def log(self) -> str:
        return (self.workdir / f"dev-{self.runs}.log").read_text(errors="replace")[-4000:]

    def interrupt(self, *, whole_group: bool) -> int:
        """Ctrl-C: to the supervisor alone, or (as a terminal does) to every process in its group."""
        assert self.process is not None
        if whole_group:
            os.killpg(self.process.pid, signal.SIGINT)
        else:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"dev did not exit within 30 s of SIGINT:\n{self.log()}")

    def kill_leftovers(self) -> None:
        if self.process is None:
            return
        # The group outlives its leader while any member lives (a Temporal server the leader left behind).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def credentials(self) -> dict[str, str]:
        stored: dict[str, str] = json.loads((self.data_dir / "demo-credentials.json").read_text())
        return stored

    def post_alert(self, body: dict[str, Any], delivery_id: str) -> httpx.Response:
        creds = self.credentials()
        raw = json.dumps(body).encode()
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-API-Key": creds["api_key"],
            "X-Timestamp": ts,
            "X-Signature": sign(creds["hmac_secret"], ts, raw),
            "X-Delivery-ID": delivery_id,
        }
        return httpx.post(f"{self.url}/api/webhooks/alerts", content=raw, headers=headers, timeout=30)

    def signed_in_get(self, path: str) -> Any:
        creds = self.credentials()
        login = httpx.post(
            f"{self.url}/api/auth/login",
            timeout=30,
            json={"email": creds["admin_email"], "password": creds["admin_password"]},
        )
        assert login.status_code == 200, login.text
        page = httpx.get(
            f"{self.url}{path}",
            timeout=30,
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        )
        assert page.status_code == 200, page.text
        return page.json()

    def incidents(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.signed_in_get("/api/incidents")["items"]
        return items

    def runbook_names(self) -> list[str]:
        return sorted(r["name"] for r in self.signed_in_get("/api/runbooks"))


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[DevProcess]:
    assert CLI.exists(), f"console script not installed next to {sys.executable}"
    running = DevProcess(tmp_path)
    try:
        yield running
    finally:
        running.kill_leftovers()


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
    assert first.status_code == 200, first.text
    incident_id = first.json()["incident_id"]
    assert incident_id
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
    assert retry.status_code == 200, retry.text
    assert retry.json()["duplicate"] is True
    assert retry.json()["alert_id"] == first.json()["alert_id"]
    follow_up = dev.post_alert({**ALERT, "message": "Disk /var at 97%"}, str(uuid.uuid4()))
    assert follow_up.status_code == 200, follow_up.text
    assert follow_up.json()["incident_id"] == incident_id
    assert follow_up.json()["correlated"] is True

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
