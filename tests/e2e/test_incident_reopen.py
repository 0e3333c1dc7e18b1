"""Reopening over HTTP on the real stack: only a resolved incident reopens; it is open again with a new
resolution clock, audited, and resolvable again. A clock never met stops counting when it resolves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import select

from core.accounts.roles import Role
from core.db.models import AuditLog
from tests.support.signin import bearer
from tests.support.stack import Stack, alert_body, eventually
from workflows.policy import CompanyPolicy
from workflows.types import Severity, SlaTarget


async def incident(stack: Stack, token: str, incident_id: str) -> dict[str, Any]:
    response = await stack.http.get(f"{stack.url}/api/incidents/{incident_id}", headers=bearer(token))
    return response.json() if response.status_code == 200 else {}


async def act(stack: Stack, token: str, incident_id: str, action: str, status: int = 200) -> dict[str, Any]:
    response = await stack.http.post(
        f"{stack.url}/api/incidents/{incident_id}/{action}", json={}, headers=bearer(token)
    )
    assert response.status_code == status, response.text
    return dict(response.json())


async def test_a_resolved_incident_reopens_with_a_new_resolution_clock(stack: Stack) -> None:
    policy = CompanyPolicy(
        sla_overrides={Severity.high: SlaTarget(response_seconds=600, resolution_seconds=3600)}
    )
    acme = await stack.company(policy=policy)
    tech = await stack.user(Role.technician, [acme.id])
    token = tech["access_token"]
    opened = await stack.settled(await stack.post_alert(acme, alert_body(severity="high")))
    incident_id = opened["incident_id"]
    first = await eventually(lambda: incident(stack, token, incident_id), lambda i: i.get("sla") is not None)

    refused = await act(stack, token, incident_id, "reopen", status=409)
    assert "only a resolved incident can be reopened" in refused["detail"]

    await act(stack, token, incident_id, "resolve")
    await stack.client.get_workflow_handle(incident_id).result()
    # Resolved without anyone acknowledging: the response clock stopped, it counts down no more.
    closed = await incident(stack, token, incident_id)
    assert closed["sla"]["response_deadline"] is None and closed["sla"]["responded_at"] is None
    assert closed["sla"]["clocks"]["response"]["running"] is False
    assert not closed["sla"]["response_breached"] and closed["sla"]["resolved_at"] is not None
    await act(stack, token, incident_id, "reopen")
    again = await eventually(
        lambda: incident(stack, token, incident_id),
        lambda i: i.get("status") == "in_progress" and i["sla"]["resolution_deadline"] is not None,
    )

    assert again["resolution"] is None and again["resolved_at"] is None
    old, new = (datetime.fromisoformat(i["sla"]["resolution_deadline"]) for i in (first, again))
    assert new > old and not again["sla"]["resolution_breached"]
    async with stack.services.sessions() as session:
        actions = (
            await session.execute(
                select(AuditLog.action, AuditLog.actor).where(AuditLog.object_id == incident_id)
            )
        ).all()
    assert ("incident.reopened", tech["id"]) in actions
    resolved = await act(stack, token, incident_id, "resolve")
    assert resolved["status"] == "resolved"
