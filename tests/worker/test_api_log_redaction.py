"""`alert-whisperer api`, run as in production, writes no API key, token, secret or password to its
logs (uvicorn's access log included), whichever way a client sent them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from core.accounts.roles import Role
from core.ingest.signature import sign
from core.log_redaction import REDACTED, redact
from core.settings import Settings
from tests.support.ports import free_port
from tests.support.signin import bearer
from tests.support.stack import Stack, alert_body, signed_headers

CLI = Path(sys.executable).parent / "alert-whisperer"


class ApiProcess:
    def __init__(self, settings: Settings, temporal_address: str, log_file: Path) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AW_")}
        env.update(
            AW_ENVIRONMENT=settings.environment,
            AW_DATABASE_URL=settings.database_url,
            AW_SECRET_KEY=settings.secret_key,
            AW_TASK_QUEUE=settings.task_queue,
            AW_TEMPORAL_ADDRESS=temporal_address,
        )
        self.log_file = log_file
        self._log = log_file.open("w")
        port = self.url.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [str(CLI), "api", "--host", "127.0.0.1", "--port", port],
            cwd=log_file.parent,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_file.read_text()
            try:
                if httpx.get(f"{self.url}/api/agent/ping", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"API did not start:\n{self.log_file.read_text()}")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.log_file.read_text()


@pytest.fixture
def api_process(
    settings: Settings, temporal_env: WorkflowEnvironment, tmp_path: Path
) -> Iterator[ApiProcess]:
    assert CLI.exists(), f"console script not installed next to {sys.executable}"
    target = temporal_env.client.service_client.config.target_host
    running = ApiProcess(settings, target, tmp_path / "api.log")
    try:
        running.wait_until_up()
        yield running
    finally:
        running.stop()


async def test_no_credential_reaches_the_api_process_logs(stack: Stack, api_process: ApiProcess) -> None:
    acme = await stack.company()
    user = await stack.user(Role.company_admin, [acme.id])
    url = api_process.url
    secrets_sent = [
        acme.api_key,
        acme.hmac_secret,
        user["password"],
        user["access_token"],
        user["refresh_token"],
    ]
    answers: list[httpx.Response] = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        # generic webhook, key in the URL (as tools that can only set a URL send it)
        raw = json.dumps(alert_body()).encode()
        headers = {k: v for k, v in signed_headers(acme, raw).items() if k != "X-API-Key"}
        answers.append(
            await http.post(
                "/api/webhooks/alerts", params={"api_key": acme.api_key}, content=raw, headers=headers
            )
        )
        # Datadog, key in the URL
        datadog = json.dumps(
            {"alert_transition": "Triggered", "id": "1", "alert_title": "CPU", "hostname": "w"}
        )
        answers.append(
            await http.post("/api/webhooks/datadog", params={"api_key": acme.api_key}, content=datadog)
        )
        # Zabbix, key in the URL and signed
        zabbix = json.dumps(
            {
                "event_id": "7",
                "event_value": "1",
                "event_source": "0",
                "severity": "4",
                "host_host": "web-01",
                "trigger_id": "1",
                "trigger_name": "CPU",
                "event_name": "CPU",
            }
        ).encode()
        ts = str(int(time.time()))
        answers.append(
            await http.post(
                "/api/webhooks/zabbix",
                params={"api_key": acme.api_key},
                content=zabbix,
                headers={"X-Timestamp": ts, "X-Signature": sign(acme.hmac_secret, ts, zabbix)},
            )
        )
        # Alertmanager, bearer key; and the same key in the URL, which it does not take
        alertmanager = json.dumps({"version": "4", "status": "firing", "alerts": []})
        answers.append(
            await http.post("/api/webhooks/alertmanager", content=alertmanager, headers=bearer(acme.api_key))
        )
        answers.append(
            await http.post("/api/webhooks/alertmanager", params={"api_key": acme.api_key}, content="{}")
        )
        # CloudWatch (SNS), key in the URL: the only way SNS can send it
        answers.append(
            await http.post("/api/webhooks/cloudwatch", params={"api_key": acme.api_key}, content="{}")
        )
        # sign-in, refresh, and credentials a careless client put in a URL
        login = await http.post(
            "/api/auth/login", json={"email": user["email"], "password": user["password"]}
        )
        assert login.status_code == 200, login.text
        tokens = login.json()
        secrets_sent += [tokens["access_token"], tokens["refresh_token"]]
        refreshed = await http.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"]))
        assert refreshed.status_code == 200, refreshed.text
        secrets_sent += [refreshed.json()["access_token"], refreshed.json()["refresh_token"]]
        answers.append(await http.get("/api/incidents", headers=bearer(refreshed.json()["access_token"])))
        leaky = {
            "token": tokens["access_token"],
            "access_token": tokens["access_token"],
            "secret": acme.hmac_secret,
            "password": user["password"],
            "x-api-key": acme.api_key,
        }
        answers.append(await http.get("/api/agent/ping", params=leaky))
        answers.append(
            await http.post(
                "/api/auth/login", params=leaky, json={"email": "x@example.com", "password": "wrong"}
            )
        )
        answers.append(await http.get(f"/api/incidents/{uuid.uuid4().hex}", params={"api_key": acme.api_key}))
    assert all(a.status_code < 500 for a in answers), [(a.request.url.path, a.status_code) for a in answers]
    assert answers[0].status_code == 200, answers[0].text

    logs = api_process.stop()
    leaked = [s for s in secrets_sent if s in logs]
    assert not leaked, f"{len(leaked)} credential(s) in the logs:\n{logs}"
    assert "POST /api/webhooks/cloudwatch?api_key=" + REDACTED in logs, logs  # the access log is on
    assert "POST /api/webhooks/alerts?api_key=" + REDACTED in logs


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        (
            '"GET /x?api_key=aw_abcdefghijklmnopqrstuvwxyz0123 HTTP/1.1" 200',
            "aw_abcdefghijklmnopqrstuvwxyz0123",
        ),
        ("GET /x?a=1&token=t0k3n.value&b=2", "t0k3n.value"),
        ("GET /x?secret=s3cr3t&password=hunter2", "s3cr3t"),
        ("GET /x?secret=s3cr3t&password=hunter2", "hunter2"),
        ("Authorization: Bearer abcdefgh12345", "abcdefgh12345"),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("X-API-Key: some-key-123", "some-key-123"),
        ("[(b'x-api-key', b'some-key-123'), (b'host', b'h')]", "some-key-123"),
        ("[(b'authorization', b'Bearer abcdefgh12345')]", "abcdefgh12345"),
        ('{"password": "hunter 2", "email": "a@b.c"}', "hunter 2"),
        ("{'hmac_secret': 'zzz-secret'}", "zzz-secret"),
        ("refresh_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "eyJhbGciOiJIUzI1NiJ9"),
        ("user signed in with eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "eyJhbGciOiJIUzI1NiJ9"),
    ],
)
def test_redaction_removes_the_credential_from_a_line(line: str, secret: str) -> None:
    assert secret not in redact(line)
    assert REDACTED in redact(line)


def test_redaction_keeps_ordinary_fields() -> None:
    line = "aggregation_key=db-1|disk asset=web-1 signature=disk_full: the token expired"
    assert redact(line) == line
