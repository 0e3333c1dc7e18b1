"""A company's AWS access for runbook executors: set, read (never the keys), removed, audited without
secrets, scoped to the company's tenants."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlmodel import select

from core.accounts.roles import Role
from core.companies.aws_access import aws_access_of
from core.db.models import AuditLog, Company
from tests.support.signin import bearer
from tests.support.stack import Stack

ROLE = "arn:aws:iam::210987654321:role/AlertWhispererRunbooks"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


async def put(stack: Stack, admin: dict[str, str], company_id: str, body: Any) -> httpx.Response:
    return await stack.http.put(
        f"{stack.url}/api/companies/{company_id}/aws-access", json=body, headers=bearer(admin["access_token"])
    )


async def get(stack: Stack, admin: dict[str, str], company_id: str) -> httpx.Response:
    return await stack.http.get(
        f"{stack.url}/api/companies/{company_id}/aws-access", headers=bearer(admin["access_token"])
    )


async def stored(stack: Stack, company_id: str) -> Company:
    async with stack.services.sessions() as session:
        company = await session.get(Company, company_id)
    assert company is not None
    return company


async def test_a_role_with_keys_is_stored_encrypted_and_never_shown(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    body = {
        "role_arn": ROLE,
        "external_id": "msp-acme-2f9c",
        "region": "eu-west-1",
        "access_key_id": "AKIAIOSFODNN7EXAMPLE",
        "secret_access_key": SECRET,
    }
    response = await put(stack, admin, acme.id, body)
    assert response.status_code == 200, response.text
    shown = {"role_arn": ROLE, "external_id": "msp-acme-2f9c", "region": "eu-west-1", "has_access_keys": True}
    assert response.json() == shown
    assert (await get(stack, admin, acme.id)).json() == shown

    company = await stored(stack, acme.id)
    assert SECRET not in (company.aws_secret_access_key_encrypted or "")
    assert "AKIAIOSFODNN7EXAMPLE" not in (company.aws_access_key_id_encrypted or "")
    access = aws_access_of(company, stack.services.box)
    assert (access.access_key_id, access.secret_access_key) == ("AKIAIOSFODNN7EXAMPLE", SECRET)

    async with stack.services.sessions() as session:
        rows = await session.execute(select(AuditLog).where(AuditLog.company_id == acme.id))
        audit = [(e.action, e.before, e.after) for e in rows.scalars()]
    nothing = {"role_arn": None, "external_id": None, "region": None, "has_access_keys": False}
    assert ("company.aws_access.set", nothing, {**shown, "access_keys_replaced": True}) in audit
    assert SECRET not in json.dumps(audit) and "AKIAIOSFODNN7EXAMPLE" not in json.dumps(audit)


async def test_put_replaces_the_whole_setting_and_delete_removes_it(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.msp_admin, [])
    keys = {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": SECRET}
    assert (await put(stack, admin, acme.id, keys)).json()["has_access_keys"] is True
    replaced = await put(stack, admin, acme.id, {"role_arn": ROLE, "external_id": "ext-1"})
    assert replaced.json() == {
        "role_arn": ROLE,
        "external_id": "ext-1",
        "region": None,
        "has_access_keys": False,
    }
    assert (await stored(stack, acme.id)).aws_secret_access_key_encrypted is None

    deleted = await stack.http.delete(
        f"{stack.url}/api/companies/{acme.id}/aws-access", headers=bearer(admin["access_token"])
    )
    assert deleted.status_code == 204
    assert (await get(stack, admin, acme.id)).json() == {
        "role_arn": None,
        "external_id": None,
        "region": None,
        "has_access_keys": False,
    }


async def test_settings_that_cannot_work_are_refused(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    refused = [
        {"role_arn": "arn:aws:iam::12345:role/short-account", "external_id": "ext-1"},
        {"role_arn": "arn:aws:iam::210987654321:user/not-a-role", "external_id": "ext-1"},
        {"role_arn": ROLE},  # no external id
        {"role_arn": ROLE, "external_id": "x"},  # too short
        {"role_arn": ROLE, "external_id": "has space"},
        {"role_arn": ROLE, "external_id": "e" * 1225},
        {"external_id": "ext-1"},  # no role
        {"access_key_id": "AKIAIOSFODNN7EXAMPLE"},  # half a pair
        {"secret_access_key": SECRET},
        {"region": "Mars"},
        {"role_arn": ROLE, "external_id": "ext-1", "unknown": 1},
    ]
    for body in refused:
        response = await put(stack, admin, acme.id, body)
        assert response.status_code == 422, (body, response.text)
        assert SECRET not in response.text
    assert (await get(stack, admin, acme.id)).json()["role_arn"] is None
    longest = {"role_arn": ROLE, "external_id": "e" * 1224}
    assert (await put(stack, admin, acme.id, longest)).status_code == 200


async def test_technicians_and_other_tenants_cannot_see_or_set_it(stack: Stack) -> None:
    acme, other = await stack.company("Acme"), await stack.company("Other")
    technician = await stack.user(Role.technician, [acme.id])
    outsider = await stack.user(Role.company_admin, [other.id])
    body = {"role_arn": ROLE, "external_id": "ext-1"}
    assert (await put(stack, technician, acme.id, body)).status_code == 403
    assert (await get(stack, technician, acme.id)).status_code == 403
    assert (await put(stack, outsider, acme.id, body)).status_code == 404
    assert (await get(stack, outsider, acme.id)).status_code == 404
