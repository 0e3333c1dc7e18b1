"""`GET /api/remediation/figures`: self-healing rate, approvals and their waits, and runbook success, from
stored rows: those the real flow writes, and rows inserted for the cases the flow is slow to reach."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from core.accounts.roles import Role
from core.db.models import RemediationRun, Runbook, new_id
from core.remediation.figures import nearest_rank
from core.settings import Settings
from tests.support.healing import Trace, open_incident, remediation_is, runbook, tenant, until
from tests.support.incident_rows import stored_incident
from tests.support.signin import bearer
from tests.support.stack import Stack, TenantCreds, make_stack
from workflows.incident.remediation import NOT_NEEDED

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def healing(settings: Settings, temporal_client: Client) -> AsyncIterator[Stack]:
    running = make_stack(settings.model_copy(update={"local_executor": True}), temporal_client)
    await running.start_api()
    running.start_worker()
    yield running
    await running.close()


async def figures(stack: Stack, user: dict[str, str], **params: str) -> dict[str, Any]:
    response = await stack.http.get(
        f"{stack.url}/api/remediation/figures", params=params, headers=bearer(user["access_token"])
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_real_flow_counts_a_healed_incident_an_approval_and_each_runbooks_success(
    healing: Stack, tmp_path: Path
) -> None:
    trace = Trace(tmp_path)
    creds, admin, tech = await tenant(healing)
    auto = await runbook(healing, admin, creds.id, name="Auto fix", actions=[trace.cmd("auto")])
    asked = await runbook(
        healing,
        admin,
        creds.id,
        name="Asks first",
        risk_level="medium",
        signatures=["latency_*"],
        actions=[trace.cmd("asked")],
    )
    healed = await open_incident(healing, creds, asset="web-1", signature="disk_full")
    waiting = await open_incident(healing, creds, asset="api-1", signature="latency_p99")
    await until(healing, tech, healed, lambda i: i["status"] == "resolved")
    await until(healing, tech, waiting, remediation_is("awaiting_approval"))
    approved = await healing.http.post(
        f"{healing.url}/api/incidents/{waiting}/approve", headers=bearer(tech["access_token"])
    )
    assert approved.status_code == 200, approved.text
    await until(healing, tech, waiting, lambda i: i["status"] == "resolved")

    got = await figures(healing, tech, company_id=creds.id)

    assert (got["incidents"], got["self_healed"], got["self_healing_rate"]) == (2, 2, 1.0)
    assert got["self_healed_after_approval"] == 1
    approvals = got["approvals"]
    assert (approvals["requested"], approvals["approved"], approvals["rejected"]) == (1, 1, 0)
    assert approvals["median_wait_s"] is not None and 0 <= approvals["median_wait_s"] < 60
    assert approvals["p90_wait_s"] == approvals["median_wait_s"]
    by_runbook = {r["runbook_id"]: r for r in got["runbooks"]}
    assert by_runbook[auto["id"]] == {
        "runbook_id": auto["id"],
        "name": "Auto fix",
        "demo": False,
        "runs": 1,
        "succeeded": 1,
        "failed": 0,
        "success_rate": 1.0,
    }
    assert by_runbook[asked["id"]]["runs"] == 1 and by_runbook[asked["id"]]["succeeded"] == 1
    assert sorted(trace.lines()) == ["asked", "auto"]


class Rows:
    """Incidents and runs written straight to the database, as the incident workflow projects them."""

    def __init__(self, stack: Stack, company: TenantCreds) -> None:
        self.stack, self.company = stack, company

    async def incident(
        self,
        *,
        resolution: str | None = None,
        at: datetime = NOW,
        status: str = "",
        approved_by: str | None = None,
    ) -> str:
        incident_id = f"incident-{uuid.uuid4().hex[:12]}"
        async with self.stack.services.sessions() as session, session.begin():
            session.add(
                stored_incident(
                    incident_id,
                    self.company.id,
                    at,
                    status=status or ("resolved" if resolution else "new"),
                    resolution=resolution,
                    remediation={"approval": {"required_role": "technician", "decided_by": approved_by}}
                    if approved_by
                    else None,
                )
            )
        return incident_id

    async def runbook(self, name: str) -> str:
        async with self.stack.services.sessions() as session, session.begin():
            row = Runbook(
                company_id=self.company.id,
                name=name,
                signatures=["disk_*"],
                risk_level="medium",
                executor="local",
                actions=["true"],
            )
            session.add(row)
        return row.id

    async def run(
        self,
        runbook_id: str,
        status: str,
        *,
        at: datetime = NOW,
        approval: dict[str, Any] | None = None,
        requested_by: str = "system",
    ) -> None:
        async with self.stack.services.sessions() as session, session.begin():
            session.add(
                RemediationRun(
                    id=new_id("run"),
                    incident_id="incident-x",
                    company_id=self.company.id,
                    asset_name="web-1",
                    signature="disk_full",
                    runbook_id=runbook_id,
                    status=status,
                    requested_by=requested_by,
                    approval=approval or {"required_role": None},
                    requested_at=at,
                )
            )


def waited(seconds: float, *, approved: bool | None, by: str | None = "usr_approver") -> dict[str, Any]:
    decided = None if approved is None else (NOW + timedelta(seconds=seconds)).isoformat()
    return {
        "required_role": "technician",
        "requested_at": NOW.isoformat(),
        "approved": approved,
        "decided_by": by if approved is not None else None,
        "decided_at": decided,
        "comment": "",
    }


async def test_approvals_by_outcome_with_median_and_p90_waits_and_the_range_and_scope_respected(
    stack: Stack,
) -> None:
    company, other = await stack.company(), await stack.company()
    rows, elsewhere = Rows(stack, company), Rows(stack, other)
    fix, gone = await rows.runbook("Fix"), await rows.runbook("Deleted later")
    for resolution in ("auto_remediated", "already_healthy", "confirmed", None):
        await rows.incident(resolution=resolution)
    await rows.incident(resolution="auto_remediated", approved_by="usr_tech")
    await rows.incident(status="pending")  # not surfaced yet: not counted
    await rows.incident(resolution="auto_remediated", at=NOW - timedelta(days=40))  # out of range
    await elsewhere.incident(resolution="auto_remediated")

    for seconds in (10, 20, 30, 40, 50, 60, 70, 80, 90):
        await rows.run(fix, "succeeded", approval=waited(seconds, approved=True))
    await rows.run(fix, "rejected", approval=waited(1000, approved=False))
    await rows.run(fix, "escalated", approval=waited(0, approved=None))  # timed out
    await rows.run(fix, "awaiting_approval", approval=waited(0, approved=None))
    withdrawn = {**waited(5, approved=False, by=None), "comment": NOT_NEEDED}
    await rows.run(fix, "rejected", approval=withdrawn)
    # Asked for by someone who may approve it: approved by asking, no wait to speak of.
    await rows.run(
        fix, "succeeded", approval=waited(0, approved=True, by="usr_tech"), requested_by="usr_tech"
    )
    await rows.run(fix, "rolled_back")
    await rows.run(gone, "failed")
    await rows.run(fix, "succeeded", at=NOW - timedelta(days=40))
    await elsewhere.run(fix, "succeeded", approval=waited(5000, approved=True))
    async with stack.services.sessions() as session, session.begin():
        await session.delete(await session.get(Runbook, gone))

    tech = await stack.user(Role.technician, [company.id])
    got = await figures(stack, tech)  # a company user: their companies only

    assert (got["incidents"], got["self_healed"], got["self_healing_rate"]) == (5, 3, 0.6)
    assert got["self_healed_after_approval"] == 1
    assert got["approvals"] == {
        "requested": 14,
        "approved": 10,
        "rejected": 1,
        "timed_out": 1,
        "withdrawn": 1,
        "pending": 1,
        "median_wait_s": 55.0,  # 10..90 and the rejection's 1000; approved by asking left out
        "p90_wait_s": 90.0,
    }
    assert got["runbooks"] == [
        {
            "runbook_id": fix,
            "name": "Fix",
            "demo": False,
            "runs": 11,
            "succeeded": 10,
            "failed": 1,
            "success_rate": round(10 / 11, 4),
        },
        {
            "runbook_id": gone,
            "name": None,
            "demo": False,
            "runs": 1,
            "succeeded": 0,
            "failed": 1,
            "success_rate": 0.0,
        },
    ]

    older = await figures(stack, tech, since=(NOW - timedelta(days=60)).isoformat())
    assert older["incidents"] == 6 and older["runbooks"][0]["runs"] == 12
    msp = await stack.user(Role.msp_admin, [])
    everyone = await figures(stack, msp)
    assert everyone["incidents"] >= 6 and everyone["approvals"]["requested"] >= 15
    assert (await figures(stack, msp, company_id=other.id))["incidents"] == 1


async def test_another_tenants_company_answers_404_and_an_empty_range_422(stack: Stack) -> None:
    company, other = await stack.company(), await stack.company()
    admin = await stack.user(Role.company_admin, [company.id])
    url = f"{stack.url}/api/remediation/figures"

    foreign = await stack.http.get(
        url, params={"company_id": other.id}, headers=bearer(admin["access_token"])
    )
    assert foreign.status_code == 404
    missing = await stack.http.get(
        url, params={"company_id": "co_nope"}, headers=bearer(admin["access_token"])
    )
    assert missing.status_code == 404
    backwards = await stack.http.get(
        url,
        params={"since": NOW.isoformat(), "until": (NOW - timedelta(hours=1)).isoformat()},
        headers=bearer(admin["access_token"]),
    )
    assert backwards.status_code == 422 and "before" in backwards.text
    empty = await figures(stack, admin, company_id=company.id)
    assert empty["incidents"] == 0 and empty["self_healing_rate"] is None
    assert empty["approvals"]["median_wait_s"] is None and empty["runbooks"] == []


def test_nearest_rank_percentile() -> None:
    assert nearest_rank([], 0.9) is None
    assert nearest_rank([5.0], 0.9) == 5.0
    assert nearest_rank([float(v) for v in range(1, 11)], 0.9) == 9.0
    assert nearest_rank([3.0, 1.0, 2.0], 0.5) == 2.0
