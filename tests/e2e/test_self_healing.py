"""Self-healing over HTTP against a real worker and the Temporal dev server: a webhook opens an incident,
the rules decide, approvers answer through the API, runbooks run on the local executor (real shell
commands that leave a trace in a file), rollback and the per-asset guardrail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.client import Client

from core.settings import Settings
from tests.support.healing import Trace, open_incident, remediation_is, runbook, tenant, until
from tests.support.signin import bearer
from tests.support.stack import Stack, eventually, make_stack
from workflows.policy import RiskTolerance


@pytest.fixture
async def healing(settings: Settings, temporal_client: Client) -> AsyncIterator[Stack]:
    running = make_stack(settings.model_copy(update={"local_executor": True}), temporal_client)
    await running.start_api()
    running.start_worker()
    yield running
    await running.close()


async def test_a_low_risk_runbook_heals_the_incident_by_itself(healing: Stack, tmp_path: Path) -> None:
    trace = Trace(tmp_path)
    creds, admin, tech = await tenant(healing)
    rb = await runbook(
        healing, admin, creds.id, actions=[trace.cmd("cleaned")], post_check=trace.cmd("checked")
    )
    incident_id = await open_incident(healing, creds)
    done = await until(healing, tech, incident_id, lambda i: i["status"] == "resolved")
    assert done["resolution"] == "auto_remediated"
    assert done["decision"]["action"] == "EXECUTE_RUNBOOK" and done["decision"]["runbook_id"] == rb["id"]
    assert done["decision"]["provider"] == "rules" and done["decision"]["reasoning"]
    assert done["remediation"]["status"] == "succeeded"
    assert [s["exit_code"] for s in done["remediation"]["steps"]] == [0, 0]
    assert trace.lines() == ["cleaned", "checked"]


async def test_a_medium_risk_runbook_waits_for_a_technician_who_approves_it(
    healing: Stack, tmp_path: Path
) -> None:
    trace = Trace(tmp_path)
    creds, admin, tech = await tenant(healing)
    await runbook(healing, admin, creds.id, risk_level="medium", actions=[trace.cmd("restarted")])
    incident_id = await open_incident(healing, creds)
    waiting = await until(healing, tech, incident_id, remediation_is("awaiting_approval"))
    assert waiting["decision"]["action"] == "APPROVE_REQUIRED"
    assert waiting["remediation"]["approval"]["required_role"] == "technician"
    assert trace.lines() == []

    approved = await healing.http.post(
        f"{healing.url}/api/incidents/{incident_id}/approve",
        json={"comment": "go"},
        headers=bearer(tech["access_token"]),
    )
    assert approved.status_code == 200, approved.text
    done = await until(healing, tech, incident_id, lambda i: i["status"] == "resolved")
    assert done["remediation"]["approval"]["decided_by"] == tech["id"]
    assert done["remediation"]["approval"]["comment"] == "go"
    assert trace.lines() == ["restarted"]
    again = await healing.http.post(
        f"{healing.url}/api/incidents/{incident_id}/approve", headers=bearer(tech["access_token"])
    )
    assert again.status_code == 409, again.text


async def test_a_high_risk_runbook_needs_an_admin_and_a_rejection_runs_nothing(
    healing: Stack, tmp_path: Path
) -> None:
    trace = Trace(tmp_path)
    creds, admin, tech = await tenant(healing, RiskTolerance.high)
    await runbook(
        healing, admin, creds.id, risk_level="high", auto_approve=False, actions=[trace.cmd("failover")]
    )
    incident_id = await open_incident(healing, creds)
    await until(healing, tech, incident_id, remediation_is("awaiting_approval"))
    # Nobody is on call: the company's admin, who may approve it, is asked, in the app.
    inbox = await eventually(
        lambda: healing.http.get(f"{healing.url}/api/notifications", headers=bearer(admin["access_token"])),
        lambda r: any(n["kind"] == "approval_requested" for n in r.json()["items"]),
    )
    asked = next(n for n in inbox.json()["items"] if n["kind"] == "approval_requested")
    assert asked["title"].startswith("Approval needed") and "company_admin or above" in asked["body"]

    by_tech = await healing.http.post(
        f"{healing.url}/api/incidents/{incident_id}/approve", headers=bearer(tech["access_token"])
    )
    assert by_tech.status_code == 403 and "company_admin" in by_tech.text
    _, other_admin, _ = await tenant(healing)
    elsewhere = await healing.http.post(
        f"{healing.url}/api/incidents/{incident_id}/reject", headers=bearer(other_admin["access_token"])
    )
    assert elsewhere.status_code == 404

    rejected = await healing.http.post(
        f"{healing.url}/api/incidents/{incident_id}/reject",
        json={"comment": "not during business hours"},
        headers=bearer(admin["access_token"]),
    )
    assert rejected.status_code == 200, rejected.text
    state = await until(healing, tech, incident_id, remediation_is("rejected"))
    assert state["status"] == "in_progress" and trace.lines() == []


async def test_a_failing_action_rolls_back_the_completed_ones_and_escalates(
    healing: Stack, tmp_path: Path
) -> None:
    trace = Trace(tmp_path)
    creds, admin, tech = await tenant(healing)
    await runbook(
        healing,
        admin,
        creds.id,
        actions=[trace.cmd("stop"), trace.cmd("migrate", exit_code=3)],
        rollback_actions=[trace.cmd("start"), trace.cmd("unmigrate")],
    )
    incident_id = await open_incident(healing, creds)
    state = await until(healing, tech, incident_id, lambda i: i["status"] == "escalated")
    assert state["remediation"]["status"] == "rolled_back"
    assert trace.lines() == ["stop", "migrate", "start"]
    assert "action 2 failed: exit code 3" in state["remediation"]["error"]


async def test_past_the_hourly_guardrail_an_asset_escalates_instead_of_looping(
    healing: Stack, tmp_path: Path
) -> None:
    trace = Trace(tmp_path)
    creds, admin, tech = await tenant(healing, max_runs_per_asset_hour=1)
    await runbook(healing, admin, creds.id, actions=[trace.cmd("cleaned")])
    first = await open_incident(healing, creds)
    await until(healing, tech, first, lambda i: i["status"] == "resolved")
    # Resolved is shown before the workflow has finished its run; an alert routed to it meanwhile would be
    # forwarded to a new incident (tests/e2e/test_forwarding.py) after the webhook named the first one.
    await healing.client.get_workflow_handle(first).result()
    second = await open_incident(healing, creds)
    assert second != first
    state = await until(healing, tech, second, lambda i: i.get("decision") is not None)
    assert state["decision"]["action"] == "ESCALATE_TO_TECH" and "per hour" in state["decision"]["reasoning"]
    assert trace.lines() == ["cleaned"]


async def test_a_runbook_asked_for_by_hand_follows_the_same_approval_rules(
    healing: Stack, tmp_path: Path
) -> None:
    trace = Trace(tmp_path)
    creds, admin, tech = await tenant(healing)
    rb = await runbook(
        healing,
        admin,
        creds.id,
        risk_level="high",
        auto_approve=False,
        signatures=["other_*"],
        actions=[trace.cmd("by-hand")],
    )
    incident_id = await open_incident(healing, creds)
    await until(healing, tech, incident_id, lambda i: i.get("decision") is not None)

    asked = await healing.http.post(
        f"{healing.url}/api/incidents/{incident_id}/execute-runbook",
        json={"runbook_id": rb["id"]},
        headers=bearer(tech["access_token"]),
    )
    assert asked.status_code == 202, asked.text
    waiting = await until(healing, tech, incident_id, remediation_is("awaiting_approval"))
    assert waiting["remediation"]["requested_by"] == tech["id"]
    assert trace.lines() == []
    ok = await healing.http.post(
        f"{healing.url}/api/incidents/{incident_id}/approve", headers=bearer(admin["access_token"])
    )
    assert ok.status_code == 200, ok.text
    await until(healing, tech, incident_id, lambda i: i["status"] == "resolved")
    assert trace.lines() == ["by-hand"]
