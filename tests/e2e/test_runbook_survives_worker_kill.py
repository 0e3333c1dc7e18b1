"""A worker killed with SIGKILL in the middle of a runbook, then started again: the run finishes, and no
action that had completed runs twice. Real processes: `alert-whisperer worker`, the API over HTTP, the
Temporal dev server, the local executor running shell commands that leave a trace."""

from __future__ import annotations

import asyncio
import shlex
import signal
import time
import uuid
from pathlib import Path

from temporalio.client import Client

from core.accounts.roles import Role
from core.settings import Settings
from tests.support.processes import worker_process
from tests.support.signin import bearer
from tests.support.stack import alert_body, eventually, make_stack
from workflows.policy import CompanyPolicy

# The second action runs this long: time to kill its worker in the middle of it.
SLOW_ACTION_S = 6


async def test_a_runbook_whose_worker_is_killed_mid_action_finishes_without_repeating_actions(
    settings: Settings, temporal_client: Client, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.log"
    started = tmp_path / "slow-started"
    q = shlex.quote
    actions = [
        f"echo first >> {q(str(trace))}",
        f"touch {q(str(started))}; sleep {SLOW_ACTION_S}; echo second >> {q(str(trace))}",
        f"echo third >> {q(str(trace))}",
    ]
    stack = make_stack(settings.model_copy(update={"local_executor": True}), temporal_client)
    await stack.start_api()
    address = temporal_client.service_client.config.target_host
    doomed = worker_process(stack.settings, address, tmp_path / "doomed.log", AW_LOCAL_EXECUTOR="true")
    survivor = None
    try:
        creds = await stack.company(policy=CompanyPolicy())
        msp = await stack.user(Role.msp_admin, [])
        tech = await stack.user(Role.technician, [creds.id])
        created = await stack.http.post(
            f"{stack.url}/api/runbooks",
            json={
                "name": f"three steps {uuid.uuid4().hex[:6]}",
                "company_id": creds.id,
                "signatures": ["disk_*"],
                "risk_level": "low",
                "executor": "local",
                "auto_approve": True,
                "timeout_seconds": 60,
                "actions": actions,
            },
            headers=bearer(msp["access_token"]),
        )
        assert created.status_code == 201, created.text
        answer = await stack.post_alert(creds, alert_body(asset_name="web-7", signature="disk_full"))
        incident_id = await stack.incident_of(answer)

        deadline = time.monotonic() + 60
        while not started.exists():  # the slow second action is under way
            assert doomed.poll() is None, (tmp_path / "doomed.log").read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the second action never started"
            await asyncio.sleep(0.05)
        doomed.send_signal(signal.SIGKILL)  # no handler runs; its shell command dies with it (pdeathsig)
        doomed.wait(timeout=10)
        assert trace.read_text().split() == ["first"]

        survivor = worker_process(
            stack.settings, address, tmp_path / "survivor.log", AW_LOCAL_EXECUTOR="true"
        )

        async def incident() -> dict[str, object]:
            response = await stack.http.get(
                f"{stack.url}/api/incidents/{incident_id}", headers=bearer(tech["access_token"])
            )
            assert response.status_code == 200, response.text
            return dict(response.json())

        # The step is retried once its heartbeat times out (20 s), on the new worker.
        done = await eventually(incident, lambda i: i["status"] == "resolved", timeout=120, interval=0.5)
        assert done["resolution"] == "auto_remediated"
        assert trace.read_text().split() == ["first", "second", "third"], "a completed action ran again"
        remediation = done["remediation"]
        assert isinstance(remediation, dict) and remediation["status"] == "succeeded"
    finally:
        for process in (doomed, survivor):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        await stack.close()
