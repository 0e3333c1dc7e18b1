"""Companies through the HTTP API: who may create, read, change and delete them, and what is audited."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from sqlmodel import col, select

from core.accounts.roles import Role
from core.db.models import AuditLog, Company, CompanyApiKey, UserCompany
from tests.support.signin import bearer
from tests.support.stack import Stack, TenantCreds, alert_body
from workflows.policy import CompanyPolicy

POLICY = {
    "window_minutes": 30,
    "aggregation_key": "asset",
    "min_alerts": 2,
    "on_recovery": "confirm",
    "flap_threshold": 3,
    "flap_window_minutes": 30,
    "risk_tolerance": "medium",
    "sla_overrides": {"critical": {"response_minutes": 5, "resolution_minutes": 60}},
}
# What the API answers and stores: the policy sent, with every field it left out at its default.
STORED_POLICY = CompanyPolicy.model_validate(POLICY).model_dump(mode="json")


def company_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"Initech {uuid.uuid4().hex[:6]}",
        "policy": POLICY,
        "critical_assets": ["db-prod-01"],
        "assets": [{"name": "db-prod-01", "kind": "database", "tags": ["prod"]}],
        "monitoring_integrations": [{"tool": "datadog", "name": "Datadog EU"}],
    }
    body.update(overrides)
    return body


async def create(stack: Stack, user: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    return await stack.http.post(
        f"{stack.url}/api/companies", json=body, headers=bearer(user["access_token"])
    )


async def audit_of(stack: Stack, company_id: str) -> list[AuditLog]:
    async with stack.services.sessions() as session:
        rows = await session.execute(
            select(AuditLog).where(AuditLog.company_id == company_id).order_by(col(AuditLog.at))
        )
        return list(rows.scalars())


async def test_msp_admin_creates_a_company_and_gets_its_credentials_once(stack: Stack) -> None:
    admin = await stack.user(Role.msp_admin, [])
    response = await create(stack, admin, company_body())
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["api_key"].startswith("aw_") and created["hmac_secret"] and created["api_key_id"]
    assert created["policy"] == STORED_POLICY
    assert created["assets"] == [
        {"name": "db-prod-01", "asset_id": None, "kind": "database", "tags": ["prod"], "instance_ids": []}
    ]
    assert created["secret_backend"] == "local"

    # The credentials work for the webhook straight away ...
    creds = TenantCreds(created["id"], created["api_key"], created["hmac_secret"])
    alert = await stack.post_alert(creds, alert_body())
    assert alert.status_code in (200, 202), alert.text

    # ... and are never shown again, nor stored in clear text.
    shown = await stack.http.get(
        f"{stack.url}/api/companies/{creds.id}", headers=bearer(admin["access_token"])
    )
    assert shown.status_code == 200
    assert not {"api_key", "hmac_secret", "hmac_secret_encrypted", "key_hash"} & set(shown.json())
    assert creds.api_key not in shown.text and creds.hmac_secret not in shown.text
    async with stack.services.sessions() as session:
        company = await session.get(Company, creds.id)
        keys = (
            await session.execute(select(CompanyApiKey).where(CompanyApiKey.company_id == creds.id))
        ).all()
    assert company is not None and creds.hmac_secret not in str(company.model_dump())
    assert creds.api_key not in str(keys)

    entries = await audit_of(stack, creds.id)
    created_entries = [e for e in entries if e.action.startswith("company.")]
    assert [(e.action, e.actor) for e in created_entries] == [("company.create", admin["id"])]
    assert created_entries[0].after is not None and created_entries[0].after["name"] == created["name"]
    logged = json.dumps([e.before for e in entries] + [e.after for e in entries])
    assert creds.api_key not in logged and creds.hmac_secret not in logged


async def test_invalid_companies_are_refused_with_422_and_the_reason(stack: Stack) -> None:
    admin = await stack.user(Role.msp_admin, [])
    cases = {
        "blank name": (company_body(name="   "), "name"),
        "window too long": (company_body(policy={"window_minutes": 61}), "window_minutes"),
        "unknown aggregation": (company_body(policy={"aggregation_key": "host"}), "aggregation_key"),
        "bad risk tolerance": (company_body(policy={"risk_tolerance": "yolo"}), "risk_tolerance"),
        "resolution before response": (
            company_body(
                policy={"sla_overrides": {"high": {"response_minutes": 60, "resolution_minutes": 5}}}
            ),
            "the resolution deadline must not be shorter",
        ),
        "unknown severity": (
            company_body(
                policy={"sla_overrides": {"urgent": {"response_minutes": 1, "resolution_minutes": 5}}}
            ),
            "urgent",
        ),
        "unknown field": (company_body(owner="me"), "owner"),
        "asset without name": (company_body(assets=[{"kind": "server"}]), "name"),
        "blank instance id": (company_body(assets=[{"name": "web", "instance_ids": [""]}]), "instance_ids"),
    }
    for case, (body, reason) in cases.items():
        response = await create(stack, admin, body)
        assert response.status_code == 422, (case, response.text)
        assert reason in response.text, (case, response.text)


async def test_company_users_see_only_their_own_companies(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    for role in (Role.company_admin, Role.technician):
        user = await stack.user(role, [acme.id])
        listed = await stack.http.get(f"{stack.url}/api/companies", headers=bearer(user["access_token"]))
        assert [c["id"] for c in listed.json()] == [acme.id], role
        other = await stack.http.get(
            f"{stack.url}/api/companies/{globex.id}", headers=bearer(user["access_token"])
        )
        assert other.status_code == 404 and other.json() == {"detail": f"no company {globex.id}"}
    admin = await stack.user(Role.msp_admin, [])
    everything = await stack.http.get(f"{stack.url}/api/companies", headers=bearer(admin["access_token"]))
    assert {acme.id, globex.id} <= {c["id"] for c in everything.json()}


async def test_company_admin_updates_own_policy_and_it_applies_at_once(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    admin = await stack.user(Role.company_admin, [acme.id])
    before = await stack.services.directory.by_id(acme.id)  # now cached by the webhook's directory
    assert before is not None and before.policy.min_alerts == 1

    response = await stack.http.put(
        f"{stack.url}/api/companies/{acme.id}",
        json={"policy": POLICY, "critical_assets": ["db-prod-02"]},
        headers=bearer(admin["access_token"]),
    )
    assert response.status_code == 200, response.text
    assert response.json()["policy"] == STORED_POLICY and response.json()["critical_assets"] == ["db-prod-02"]
    after = await stack.services.directory.by_id(acme.id)
    assert after is not None and after.policy.min_alerts == 2 and after.critical_assets == {"db-prod-02"}

    updates = [e for e in await audit_of(stack, acme.id) if e.action == "company.update"]
    assert len(updates) == 1 and updates[0].actor == admin["id"]
    default_policy = CompanyPolicy().model_dump(mode="json")
    assert updates[0].before == {"policy": default_policy, "critical_assets": []}
    assert updates[0].after == {"policy": POLICY, "critical_assets": ["db-prod-02"]}  # as sent

    # An asset served by several instances names them: an SSM runbook runs on each (core/decisions/planning).
    mapped = await stack.http.put(
        f"{stack.url}/api/companies/{acme.id}",
        json={"assets": [{"name": "web", "instance_ids": ["i-0aaa", "i-0bbb"]}]},
        headers=bearer(admin["access_token"]),
    )
    assert mapped.status_code == 200, mapped.text
    shown = await stack.http.get(
        f"{stack.url}/api/companies/{acme.id}", headers=bearer(admin["access_token"])
    )
    assert shown.json()["assets"][0]["instance_ids"] == ["i-0aaa", "i-0bbb"]

    # Another tenant's company does not exist for this admin, even with a valid body.
    other = await stack.http.put(
        f"{stack.url}/api/companies/{globex.id}",
        json={"name": "Mine now"},
        headers=bearer(admin["access_token"]),
    )
    assert other.status_code == 404


async def test_update_sends_only_what_changes_and_refuses_nulls(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.msp_admin, [])
    url, headers = f"{stack.url}/api/companies/{acme.id}", bearer(admin["access_token"])
    renamed = await stack.http.put(url, json={"name": "  Acme Corp  "}, headers=headers)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Acme Corp"
    assert renamed.json()["policy"]["window_minutes"] == 15  # untouched
    nulled = await stack.http.put(url, json={"name": None}, headers=headers)
    assert nulled.status_code == 422 and "name cannot be null" in nulled.text
    unchanged = await stack.http.put(url, json={"name": "Acme Corp"}, headers=headers)
    assert unchanged.status_code == 200
    updates = [e for e in await audit_of(stack, acme.id) if e.action == "company.update"]
    assert len(updates) == 1  # the no-op left no entry


async def test_only_the_msp_admin_creates_and_deletes_companies(stack: Stack) -> None:
    acme = await stack.company("Acme")
    for role in (Role.company_admin, Role.technician):
        user = await stack.user(role, [acme.id])
        assert (await create(stack, user, company_body())).status_code == 403
        deleted = await stack.http.delete(
            f"{stack.url}/api/companies/{acme.id}", headers=bearer(user["access_token"])
        )
        assert deleted.status_code == 403
    technician = await stack.user(Role.technician, [acme.id])
    update = await stack.http.put(
        f"{stack.url}/api/companies/{acme.id}", json={"name": "x"}, headers=bearer(technician["access_token"])
    )
    assert update.status_code == 403


async def test_deleting_an_unused_company_removes_it_with_its_keys_and_memberships(stack: Stack) -> None:
    acme = await stack.company("Acme")
    member = await stack.user(Role.technician, [acme.id])
    admin = await stack.user(Role.msp_admin, [])
    url, headers = f"{stack.url}/api/companies/{acme.id}", bearer(admin["access_token"])
    assert (await stack.http.delete(url, headers=headers)).status_code == 204
    assert (await stack.http.get(url, headers=headers)).status_code == 404
    assert (await stack.http.delete(url, headers=headers)).status_code == 404
    assert (await stack.post_alert(acme, alert_body())).status_code == 401
    async with stack.services.sessions() as session:
        assert (
            await session.execute(select(CompanyApiKey).where(CompanyApiKey.company_id == acme.id))
        ).first() is None
        assert (
            await session.execute(select(UserCompany).where(UserCompany.user_id == member["id"]))
        ).first() is None
    entries = [e for e in await audit_of(stack, acme.id) if e.action.startswith("company.")]
    assert [e.action for e in entries] == ["company.delete"]
    assert entries[0].before is not None and entries[0].before["name"].startswith("Acme ")


async def test_a_company_with_alerts_cannot_be_deleted(stack: Stack) -> None:
    acme = await stack.company("Acme")
    assert (await stack.post_alert(acme, alert_body())).status_code in (200, 202)
    admin = await stack.user(Role.msp_admin, [])
    url, headers = f"{stack.url}/api/companies/{acme.id}", bearer(admin["access_token"])
    refused = await stack.http.delete(url, headers=headers)
    assert refused.status_code == 409
    assert "1 alerts" in refused.json()["detail"] and "revoke its API keys" in refused.json()["detail"]
    assert (await stack.http.get(url, headers=headers)).status_code == 200
    assert (await stack.post_alert(acme, alert_body())).status_code in (200, 202)


async def test_sla_tracking_and_auto_assignment_switch_off_and_refuse_anything_but_a_boolean(
    stack: Stack,
) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    url, headers = f"{stack.url}/api/companies/{acme.id}", bearer(admin["access_token"])
    before = (await stack.http.get(url, headers=headers)).json()["policy"]
    assert before["sla_tracking"] is True and before["auto_assignment"] is True

    off = {**POLICY, "sla_tracking": False, "auto_assignment": False}
    switched = await stack.http.put(url, json={"policy": off}, headers=headers)
    assert switched.status_code == 200, switched.text
    stored = (await stack.http.get(url, headers=headers)).json()["policy"]
    assert stored["sla_tracking"] is False and stored["auto_assignment"] is False
    cached = await stack.services.directory.by_id(acme.id)
    assert cached is not None and not cached.policy.sla_tracking and not cached.policy.auto_assignment

    for field, value in (("sla_tracking", "no"), ("auto_assignment", 0)):
        refused = await stack.http.put(url, json={"policy": {**POLICY, field: value}}, headers=headers)
        assert refused.status_code == 422 and field in refused.text and "boolean" in refused.text
