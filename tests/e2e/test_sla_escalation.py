"""SLA end to end on the real dev server, in real time: a 10 s response SLA warns at 50, 75 and 90 %,
breaches, escalates one level along the company's chain, and the level's technician gets the email
through a real SMTP server (aiosmtpd). Acknowledging then stops the chain. Everything over HTTP."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from core.accounts.roles import Role
from core.db.models import AuditLog
from tests.support.notifications import Mailbox
from tests.support.signin import bearer
from tests.support.stack import Stack, alert_body, eventually
from workflows.policy import CompanyPolicy
from workflows.types import Severity, SlaTarget


async def test_a_10_second_response_sla_warns_breaches_escalates_and_emails_the_next_level(
    mailing_stack: Stack, mailbox: Mailbox
) -> None:
    stack = mailing_stack
    policy = CompanyPolicy(
        sla_overrides={Severity.high: SlaTarget(response_seconds=10, resolution_seconds=600)}
    )
    creds = await stack.company(policy=policy)
    admin = await stack.user(Role.company_admin, [creds.id])
    level_one = await stack.user(Role.technician, [creds.id])
    chain = await stack.http.post(
        f"{stack.url}/api/escalation-chains",
        json={
            "company_id": creds.id,
            "name": "Acme chain",
            "levels": [
                {"level": 1, "notify": {"user_ids": [level_one["id"]]}, "wait_minutes": 30, "reassign": True},
                {"level": 2, "notify": {"roles": ["company_admin"]}, "wait_minutes": 30},
            ],
        },
        headers=bearer(admin["access_token"]),
    )
    assert chain.status_code == 201, chain.text

    answer = await stack.post_alert(creds, alert_body(asset_name="db-9", signature="replication_lag"))
    incident_id = await stack.incident_of(answer)

    async def incident() -> dict[str, Any] | None:
        response = await stack.http.get(
            f"{stack.url}/api/incidents/{incident_id}", headers=bearer(admin["access_token"])
        )
        return dict(response.json()) if response.status_code == 200 else None

    escalated = await eventually(
        incident, lambda i: i is not None and i["escalation_level"] == 1, timeout=60, interval=0.3
    )
    assert escalated is not None
    assert escalated["status"] == "escalated" and escalated["escalated"] is True
    assert escalated["sla"]["response_breached"] is True
    assert escalated["assigned_to"] == level_one["id"]  # the level reassigns

    async with stack.services.sessions() as session:
        rows = await session.execute(
            select(AuditLog.action, AuditLog.after).where(AuditLog.object_id == incident_id)
        )
        actions = [(action, after) for action, after in rows]
    warned = sorted(after["percent"] for action, after in actions if action == "sla.warning")
    assert warned == [50, 75, 90]
    assert [a for a, _ in actions].count("sla.breached") == 1

    mails = await eventually(lambda: _async(mailbox.to(level_one["email"])), bool, timeout=30)
    subjects = [m["Subject"] for m in mails]
    assert any("Escalated to level 1" in s for s in subjects), subjects

    acknowledged = await stack.http.post(
        f"{stack.url}/api/incidents/{incident_id}/acknowledge", headers=bearer(level_one["access_token"])
    )
    assert acknowledged.status_code == 200, acknowledged.text
    body = acknowledged.json()
    assert body["acknowledged_by"] == level_one["id"] and body["sla"]["responded_at"]
    again = await stack.http.post(
        f"{stack.url}/api/incidents/{incident_id}/acknowledge", headers=bearer(level_one["access_token"])
    )
    assert again.status_code == 409, again.text


async def _async(value: Any) -> Any:
    return value


async def test_a_new_policy_re_arms_the_sla_of_open_incidents(mailing_stack: Stack) -> None:
    stack = mailing_stack
    creds = await stack.company()
    admin = await stack.user(Role.company_admin, [creds.id])
    headers = bearer(admin["access_token"])
    incident_id = await stack.incident_of(await stack.post_alert(creds, alert_body(signature="cert_expiry")))

    async def incident() -> dict[str, Any] | None:
        response = await stack.http.get(f"{stack.url}/api/incidents/{incident_id}", headers=headers)
        return dict(response.json()) if response.status_code == 200 else None

    before = await eventually(incident, lambda i: bool(i and i["sla"]), timeout=30)
    assert before is not None
    shorter = {"sla_overrides": {"high": {"response_seconds": 600, "resolution_seconds": 1200}}}
    updated = await stack.http.put(
        f"{stack.url}/api/companies/{creds.id}", json={"policy": shorter}, headers=headers
    )
    assert updated.status_code == 200, updated.text
    after = await eventually(
        incident,
        lambda i: bool(i and i["sla"]["clocks"]["response"]["target_s"] == 600),
        timeout=30,
    )
    assert after is not None
    assert after["sla"]["response_deadline"] < before["sla"]["response_deadline"]  # 10 min, not 15
