"""A runbook on the SSM executor, end to end: boto3's real code against a fake SSM endpoint (moto's SSM
always succeeds at once, see tests/core/test_executor_ssm.py for moto), the worker and the API over HTTP.
The company's asset mapping names the instance; a throttled send is retried; a failing post-check rolls
the actions back through SSM, newest first, and the incident escalates with the output attached."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client

from core.accounts.roles import Role
from core.settings import Settings
from tests.support.fake_ssm import FakeSsm, fake_ssm_behind_boto3
from tests.support.signin import bearer
from tests.support.stack import Stack, alert_body, eventually, make_stack

INSTANCE = "i-0123456789abcdef0"
ACTIONS = ["systemctl restart nginx", "nginx -t"]
ROLLBACK = ["systemctl start nginx", "cp /etc/nginx/nginx.conf.bak /etc/nginx/nginx.conf"]
POST_CHECK = "curl -fsS http://localhost/health"


@pytest.fixture
async def fake_ssm(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeSsm]:
    async with fake_ssm_behind_boto3(monkeypatch) as fake:
        yield fake


@pytest.fixture
async def stack_with_ssm(
    fake_ssm: FakeSsm, settings: Settings, temporal_client: Client
) -> AsyncIterator[Stack]:
    running = make_stack(settings, temporal_client)
    await running.start_api()
    running.start_worker()
    yield running
    await running.close()


async def test_a_failing_post_check_on_ssm_rolls_back_through_ssm_and_escalates(
    stack_with_ssm: Stack, fake_ssm: FakeSsm
) -> None:
    stack = stack_with_ssm
    creds = await stack.company()
    admin = await stack.user(Role.company_admin, [creds.id])
    headers = bearer(admin["access_token"])
    mapped = await stack.http.put(
        f"{stack.url}/api/companies/{creds.id}",
        json={"assets": [{"name": "web-1", "asset_id": INSTANCE, "kind": "server"}]},
        headers=headers,
    )
    assert mapped.status_code == 200, mapped.text
    created = await stack.http.post(
        f"{stack.url}/api/runbooks",
        json={
            "name": "Restart nginx",
            "company_id": creds.id,
            "signatures": ["nginx_*"],
            "risk_level": "low",
            "executor": "ssm",
            "auto_approve": True,
            "timeout_seconds": 60,
            "actions": ACTIONS,
            "rollback_actions": ROLLBACK,
            "post_check": POST_CHECK,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    fake_ssm.script(POST_CHECK, exit_code=7, stderr="curl: (7) Failed to connect to localhost port 80")
    fake_ssm.throttle_sends = 1  # the first send is throttled: retried with back-off, sent once

    answer = await stack.post_alert(creds, alert_body(asset_name="web-1", signature="nginx_down"))
    incident_id = await stack.incident_of(answer)

    async def incident() -> dict[str, object] | None:
        response = await stack.http.get(f"{stack.url}/api/incidents/{incident_id}", headers=headers)
        return dict(response.json()) if response.status_code == 200 else None

    done = await eventually(incident, lambda i: i is not None and i["status"] == "escalated", timeout=90)
    assert done is not None
    remediation = done["remediation"]
    assert isinstance(remediation, dict) and remediation["status"] == "rolled_back"
    assert [s.command for s in fake_ssm.sends] == [*ACTIONS, POST_CHECK, ROLLBACK[1], ROLLBACK[0]]
    assert all(s.instance_ids == [INSTANCE] for s in fake_ssm.sends)
    assert all(s.request["DocumentName"] == "AWS-RunShellScript" for s in fake_ssm.sends)
    post_check = next(s for s in remediation["steps"] if s["phase"] == "post_check")
    assert post_check["exit_code"] == 7 and "Failed to connect" in post_check["output_tail"]
    assert "post-check failed" in str(remediation["error"])
