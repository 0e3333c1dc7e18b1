"""`alert-whisperer dev` as a process of its own, on free ports with its own data directory, as a developer
runs it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.ingest.signature import sign
from tests.support.ports import free_port
from tests.support.stack import accepted

CLI = Path(sys.executable).parent / "alert-whisperer"


def dev_env() -> dict[str, str]:
    """No AW_ variables at all: SQLite in the data dir and the development secret key."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AW_")}


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

    def incident_of(self, answer: httpx.Response) -> str:
        """The incident an accepted alert is in: at once from a 200, or, for a 202 `queued` (the answer
        timeout ran out first, as it may on a busy machine), once the worker has routed it."""
        body = accepted(answer)
        if body.get("incident_id"):
            return str(body["incident_id"])
        deadline = time.monotonic() + 60
        while True:
            incident_id = self.signed_in_get(f"/api/alerts/{body['alert_id']}")["incident_id"]
            if incident_id:
                return str(incident_id)
            assert time.monotonic() < deadline, f"alert {body['alert_id']} reached no incident in 60 s"
            time.sleep(0.3)

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
