"""API keys and HMAC secrets: issued and rotated through the API, shown once, old ones retired on time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import select

from core.accounts.roles import Role
from core.companies import directory
from core.companies import secrets as company_secrets
from core.companies.directory import CompanyCredentials
from core.db.models import AuditLog, Company, CompanyApiKey
from tests.support.signin import bearer
from tests.support.stack import Stack, TenantCreds, alert_body


async def issue_key(stack: Stack, admin: dict[str, str], company_id: str, **body: Any) -> httpx.Response:
    return await stack.http.post(
        f"{stack.url}/api/companies/{company_id}/api-keys", json=body, headers=bearer(admin["access_token"])
    )


async def rotate(stack: Stack, admin: dict[str, str], company_id: str, body: Any = None) -> httpx.Response:
    return await stack.http.post(
        f"{stack.url}/api/companies/{company_id}/hmac-secret/rotate",
        json=body,
        headers=bearer(admin["access_token"]),
    )


async def accepted(stack: Stack, creds: TenantCreds) -> bool:
    response = await stack.post_alert(creds, alert_body())
    assert response.status_code in (200, 202, 401), response.text
    return response.status_code != 401


async def audit_json(stack: Stack, company_id: str) -> str:
    async with stack.services.sessions() as session:
        rows = await session.execute(select(AuditLog).where(AuditLog.company_id == company_id))
        return json.dumps([[e.action, e.before, e.after] for e in rows.scalars()])


# --- API keys --------------------------------------------------------------------------------------------


async def test_a_new_api_key_is_shown_once_and_the_old_one_keeps_working(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    assert await accepted(stack, acme)  # caches the old key in the directory
    response = await issue_key(stack, admin, acme.id)
    assert response.status_code == 201, response.text
    issued = response.json()
    new_key = issued["api_key"]
    assert new_key.startswith(issued["prefix"]) and issued["active"] and issued["expires_at"] is None
    assert await accepted(stack, acme)
    assert await accepted(stack, TenantCreds(acme.id, new_key, acme.hmac_secret))

    listed = await stack.http.get(
        f"{stack.url}/api/companies/{acme.id}/api-keys", headers=bearer(admin["access_token"])
    )
    assert listed.status_code == 200
    assert {k["prefix"] for k in listed.json()} == {acme.api_key[:10], new_key[:10]}
    assert all(set(k) == {"id", "prefix", "created_at", "expires_at", "active"} for k in listed.json())
    assert new_key not in listed.text and acme.api_key not in listed.text

    logged = await audit_json(stack, acme.id)
    assert "company.api_key.issue" in logged and new_key not in logged


async def test_revoke_existing_stops_the_old_keys_at_once(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    assert await accepted(stack, acme)
    new_key = (await issue_key(stack, admin, acme.id, revoke_existing=True)).json()["api_key"]
    assert not await accepted(stack, acme)
    assert await accepted(stack, TenantCreds(acme.id, new_key, acme.hmac_secret))


async def test_grace_hours_keeps_the_old_keys_until_they_expire(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    before = datetime.now(UTC)
    issued = (await issue_key(stack, admin, acme.id, grace_hours=2)).json()
    assert await accepted(stack, acme)
    listed = await stack.http.get(
        f"{stack.url}/api/companies/{acme.id}/api-keys", headers=bearer(admin["access_token"])
    )
    old = next(k for k in listed.json() if k["id"] != issued["id"])
    expires_at = datetime.fromisoformat(old["expires_at"])
    assert old["active"] and before + timedelta(hours=2) <= expires_at <= datetime.now(UTC) + timedelta(
        hours=2
    )
    logged = await audit_json(stack, acme.id)
    assert old["id"] in logged  # the issue entry names the keys it retires


async def test_expiring_key_and_secret_stop_on_time_even_while_cached(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.msp_admin, [])
    await rotate(stack, admin, acme.id, {"grace_hours": 1})
    # The directory's clock, moved past the expiry by the test rather than by a 1-second sleep that a
    # busy machine can oversleep before the "still valid" checks.
    ahead = timedelta(0)
    for module in (directory, company_secrets):
        monkeypatch.setattr(module, "utcnow", lambda: datetime.now(UTC) + ahead)
    soon = datetime.now(UTC) + timedelta(minutes=5)
    async with stack.services.sessions() as session, session.begin():
        key = (
            await session.execute(select(CompanyApiKey).where(CompanyApiKey.company_id == acme.id))
        ).scalar_one()
        key.expires_at = soon
        company = await session.get(Company, acme.id)
        assert company is not None
        company.hmac_previous_expires_at = soon
    stack.services.directory.forget()
    cached: CompanyCredentials | None = await stack.services.directory.by_api_key(acme.api_key)
    assert cached is not None and acme.hmac_secret in cached.hmac_secrets and len(cached.hmac_secrets) == 2
    assert await stack.services.directory.by_api_key(acme.api_key) is cached
    ahead = timedelta(minutes=5, seconds=1)
    assert acme.hmac_secret not in cached.hmac_secrets and len(cached.hmac_secrets) == 1
    assert await stack.services.directory.by_api_key(acme.api_key) is None


async def test_deleting_a_key_revokes_it_at_once(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    admin = await stack.user(Role.msp_admin, [])
    assert await accepted(stack, acme)
    async with stack.services.sessions() as session:
        old_id = (
            await session.execute(select(CompanyApiKey.id).where(CompanyApiKey.company_id == acme.id))
        ).scalar_one()
        globex_key = (
            await session.execute(select(CompanyApiKey.id).where(CompanyApiKey.company_id == globex.id))
        ).scalar_one()
    url = f"{stack.url}/api/companies/{acme.id}/api-keys/{old_id}"
    assert (await stack.http.delete(url, headers=bearer(admin["access_token"]))).status_code == 204
    assert not await accepted(stack, acme)
    assert (await stack.http.delete(url, headers=bearer(admin["access_token"]))).status_code == 404
    # A key of another company is not found under this one.
    wrong = f"{stack.url}/api/companies/{acme.id}/api-keys/{globex_key}"
    assert (await stack.http.delete(wrong, headers=bearer(admin["access_token"]))).status_code == 404
    assert await accepted(stack, globex)
    assert "company.api_key.revoke" in await audit_json(stack, acme.id)


async def test_bad_api_key_requests_are_422(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.msp_admin, [])
    for body in ({"grace_hours": 169}, {"grace_hours": -1}, {"expires_in_days": 0}, {"revoke": True}):
        assert (await issue_key(stack, admin, acme.id, **body)).status_code == 422, body


# --- HMAC secrets ----------------------------------------------------------------------------------------


async def test_rotated_hmac_secret_keeps_the_old_one_valid_during_grace(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    assert await accepted(stack, acme)
    before = datetime.now(UTC)
    response = await rotate(stack, admin, acme.id)  # no body: the default grace of 24 h
    assert response.status_code == 200, response.text
    rotated = response.json()
    new_secret = rotated["hmac_secret"]
    assert new_secret != acme.hmac_secret
    until = datetime.fromisoformat(rotated["previous_valid_until"])
    assert before + timedelta(hours=24) <= until <= datetime.now(UTC) + timedelta(hours=24)

    assert await accepted(stack, acme)  # signed with the old secret
    newer = TenantCreds(acme.id, acme.api_key, new_secret)
    assert await accepted(stack, newer)

    # Rotating again without grace: only the newest secret verifies.
    newest_secret = (await rotate(stack, admin, acme.id, {"grace_hours": 0})).json()["hmac_secret"]
    assert not await accepted(stack, acme)
    assert not await accepted(stack, newer)
    assert await accepted(stack, TenantCreds(acme.id, acme.api_key, newest_secret))

    shown = await stack.http.get(
        f"{stack.url}/api/companies/{acme.id}", headers=bearer(admin["access_token"])
    )
    assert shown.json()["hmac_previous_valid_until"] is None
    logged = await audit_json(stack, acme.id)
    assert logged.count("company.hmac_secret.rotate") == 2
    assert new_secret not in logged and newest_secret not in logged


async def test_the_previous_secret_stops_when_its_grace_period_ends(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    new_secret = (await rotate(stack, admin, acme.id, {"grace_hours": 1})).json()["hmac_secret"]
    assert await accepted(stack, acme)
    # Let the grace period run out (as an hour later), while the directory still caches the company.
    async with stack.services.sessions() as session, session.begin():
        company = await session.get(Company, acme.id)
        assert company is not None
        company.hmac_previous_expires_at = datetime.now(UTC) - timedelta(seconds=1)
    stack.services.directory.forget()
    assert not await accepted(stack, acme)
    assert await accepted(stack, TenantCreds(acme.id, acme.api_key, new_secret))


async def test_secrets_are_stored_encrypted(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.msp_admin, [])
    new_secret = (await rotate(stack, admin, acme.id, {"grace_hours": 5})).json()["hmac_secret"]
    async with stack.services.sessions() as session:
        company = await session.get(Company, acme.id)
    assert company is not None and company.hmac_secret_encrypted and company.hmac_previous_encrypted
    stored = json.dumps(company.model_dump(mode="json"))
    assert new_secret not in stored and acme.hmac_secret not in stored


async def test_grace_hours_are_bounded(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.msp_admin, [])
    for body in ({"grace_hours": 169}, {"grace_hours": -1}, {"grace_hours": "long"}, {"grace": 1}):
        refused = await rotate(stack, admin, acme.id, body)
        assert refused.status_code == 422, body
    assert await accepted(stack, acme)
