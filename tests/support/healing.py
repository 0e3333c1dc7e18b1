"""Self-healing over HTTP: tenants with an approver each, company runbooks on the local executor whose
commands leave a trace in a file, and waiting for an incident to reach a state."""

from __future__ import annotations

import shlex
import uuid
from pathlib import Path
from typing import Any

from core.accounts.roles import Role
from tests.support.signin import bearer
from tests.support.stack import Stack, TenantCreds, alert_body, eventually
from workflows.policy import CompanyPolicy, RiskTolerance


class Trace:
    """A file the runbook's commands append to: what ran, in order, and how often."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / f"trace-{uuid.uuid4().hex[:6]}.log"
        self.path.touch()

    def cmd(self, word: str, exit_code: int = 0) -> str:
        return f"echo {word} >> {shlex.quote(str(self.path))}; exit {exit_code}"

    def lines(self) -> list[str]:
        return self.path.read_text().split()


async def tenant(
    stack: Stack, tolerance: RiskTolerance = RiskTolerance.low, **policy: Any
) -> tuple[TenantCreds, dict[str, str], dict[str, str]]:
    creds = await stack.company(policy=CompanyPolicy(risk_tolerance=tolerance, **policy))
    admin = await stack.user(Role.company_admin, [creds.id])
    tech = await stack.user(Role.technician, [creds.id])
    return creds, admin, tech


async def runbook(stack: Stack, _admin: dict[str, str], company_id: str, **fields: Any) -> dict[str, Any]:
    """A runbook of the company, on the local executor: only the MSP may write those (they run on its own
    worker hosts)."""
    msp = await stack.once("msp", lambda: stack.user(Role.msp_admin, []))
    body = {
        "name": f"rb {uuid.uuid4().hex[:6]}",
        "signatures": ["disk_*"],
        "risk_level": "low",
        "executor": "local",
        "auto_approve": True,
        "timeout_seconds": 30,
        "company_id": company_id,
        **fields,
    }
    response = await stack.http.post(
        f"{stack.url}/api/runbooks", json=body, headers=bearer(msp["access_token"])
    )
    assert response.status_code == 201, response.text
    return response.json()


async def open_incident(
    stack: Stack, creds: TenantCreds, asset: str = "web-1", signature: str = "disk_full"
) -> str:
    answer = await stack.post_alert(creds, alert_body(asset_name=asset, signature=signature, severity="high"))
    return await stack.incident_of(answer)


async def until(
    stack: Stack, user: dict[str, str], incident_id: str, check: Any, timeout: float = 60
) -> dict[str, Any]:
    """The incident once `check` holds. Its row may lag the webhook's answer by a workflow task."""

    async def probe() -> dict[str, Any] | None:
        response = await stack.http.get(
            f"{stack.url}/api/incidents/{incident_id}", headers=bearer(user["access_token"])
        )
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return response.json()

    found = await eventually(probe, lambda i: i is not None and check(i), timeout=timeout, interval=0.2)
    assert found is not None
    return found


def remediation_is(status: str) -> Any:
    return lambda i: (i.get("remediation") or {}).get("status") == status
