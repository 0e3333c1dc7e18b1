"""Users through the HTTP API: company admins manage their technicians, the MSP admin everyone."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlmodel import col, select

from core.accounts.roles import Role
from core.db.models import AuditLog
from tests.support.signin import bearer, device, login, refresh, whoami
from tests.support.stack import Stack


def new_user(role: str = "technician", company_ids: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "email": f"Tech-{uuid.uuid4().hex[:8]}@Example.com",
        "password": "a long enough password",
        "name": "Terry Tech",
        "role": role,
        "company_ids": company_ids or [],
        **extra,
    }


async def post_user(stack: Stack, caller: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    return await stack.http.post(f"{stack.url}/api/users", json=body, headers=bearer(caller["access_token"]))


async def put_user(
    stack: Stack, caller: dict[str, str], user_id: str, body: dict[str, Any]
) -> httpx.Response:
    return await stack.http.put(
        f"{stack.url}/api/users/{user_id}", json=body, headers=bearer(caller["access_token"])
    )


async def audit_of(stack: Stack, user_id: str) -> list[AuditLog]:
    async with stack.services.sessions() as session:
        rows = await session.execute(
            select(AuditLog).where(AuditLog.object_id == user_id).order_by(col(AuditLog.at))
        )
        return list(rows.scalars())


async def test_company_admin_creates_a_technician_with_a_category(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    body = new_user(company_ids=[acme.id], category=" Database ")
    response = await post_user(stack, admin, body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["email"] == body["email"].lower() and created["category"] == "Database"
    assert created["role"] == "technician" and created["company_ids"] == [acme.id]
    assert not {"password", "password_hash"} & set(created) and body["password"] not in response.text
    signed_in = await login(stack, body["email"], body["password"], device())
    assert signed_in.status_code == 200

    entries = [e for e in await audit_of(stack, created["id"]) if e.action.startswith("user.")]
    assert [(e.action, e.actor, e.company_id) for e in entries] == [("user.create", admin["id"], acme.id)]
    assert entries[0].after is not None and entries[0].after["category"] == "Database"
    assert body["password"] not in str(entries[0].after)


async def test_duplicate_email_is_a_409(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.msp_admin, [])
    body = new_user(company_ids=[acme.id])
    assert (await post_user(stack, admin, body)).status_code == 201
    again = await post_user(stack, admin, {**body, "email": body["email"].upper()})
    assert again.status_code == 409
    assert "already exists" in again.json()["detail"]


async def test_invalid_users_are_refused_with_422_and_the_reason(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.msp_admin, [])
    cases = {
        "not an email": (new_user(company_ids=[acme.id], email="nobody"), "not an email address"),
        "short password": (new_user(company_ids=[acme.id], password="short"), "password"),
        "unknown role": (new_user("overlord", [acme.id]), "role"),
        "technician without company": (new_user(), "belongs to at least one company"),
        "unknown company": (new_user(company_ids=["co_nope"]), "no company with id co_nope"),
        "blank category": (new_user(company_ids=[acme.id], category="  "), "category"),
        "unknown field": (new_user(company_ids=[acme.id], admin=True), "admin"),
    }
    for case, (body, reason) in cases.items():
        response = await post_user(stack, admin, body)
        assert response.status_code == 422, (case, response.text)
        assert reason in response.text, (case, response.text)


async def test_company_admin_cannot_create_admins_or_users_of_other_companies(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    admin = await stack.user(Role.company_admin, [acme.id])
    for role in ("msp_admin", "company_admin"):
        refused = await post_user(stack, admin, new_user(role, [acme.id]))
        assert refused.status_code == 403, role
    for company_ids in ([globex.id], [acme.id, globex.id], ["co_doesnotexist"]):
        refused = await post_user(stack, admin, new_user(company_ids=company_ids))
        assert refused.status_code == 403, company_ids
        assert refused.json() == {"detail": "you can only add users to your own companies"}


async def test_technicians_cannot_see_or_manage_users(stack: Stack) -> None:
    acme = await stack.company("Acme")
    technician = await stack.user(Role.technician, [acme.id])
    headers = bearer(technician["access_token"])
    assert (await stack.http.get(f"{stack.url}/api/users", headers=headers)).status_code == 403
    assert (await post_user(stack, technician, new_user(company_ids=[acme.id]))).status_code == 403
    assert (await put_user(stack, technician, technician["id"], {"name": "x"})).status_code == 403


async def test_company_admin_lists_only_users_of_their_companies(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    admin = await stack.user(Role.company_admin, [acme.id])
    ours = await stack.user(Role.technician, [acme.id])
    shared = await stack.user(Role.technician, [acme.id, globex.id])
    theirs = await stack.user(Role.technician, [globex.id])
    listed = await stack.http.get(f"{stack.url}/api/users", headers=bearer(admin["access_token"]))
    assert listed.status_code == 200
    by_id = {u["id"]: u for u in listed.json()}
    assert set(by_id) == {admin["id"], ours["id"], shared["id"]}
    # A shared technician's other companies are not this admin's business.
    assert by_id[shared["id"]]["company_ids"] == [acme.id]
    hidden = await stack.http.get(
        f"{stack.url}/api/users/{theirs['id']}", headers=bearer(admin["access_token"])
    )
    assert hidden.status_code == 404 and hidden.json() == {"detail": f"no user {theirs['id']}"}
    # Filtering by another company tells nothing, not even who of ours also works there.
    other = await stack.http.get(
        f"{stack.url}/api/users", params={"company_id": globex.id}, headers=bearer(admin["access_token"])
    )
    assert other.status_code == 200 and other.json() == []

    msp = await stack.user(Role.msp_admin, [])
    filtered = await stack.http.get(
        f"{stack.url}/api/users",
        params={"company_id": globex.id, "role": "technician"},
        headers=bearer(msp["access_token"]),
    )
    assert {u["id"] for u in filtered.json()} == {shared["id"], theirs["id"]}
    assert next(u for u in filtered.json() if u["id"] == shared["id"])["company_ids"] == sorted(
        [acme.id, globex.id]
    )


async def test_company_admin_updates_a_technician_and_the_change_is_audited(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    technician = await stack.user(Role.technician, [acme.id])
    response = await put_user(
        stack,
        admin,
        technician["id"],
        {"name": "Nina Network", "category": "Network", "password": "brand new pw"},
    )
    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["category"]) == ("Nina Network", "Network")
    assert (await login(stack, technician["email"], "brand new pw", device())).status_code == 200

    updates = [e for e in await audit_of(stack, technician["id"]) if e.action == "user.update"]
    assert len(updates) == 1 and updates[0].actor == admin["id"] and updates[0].company_id == acme.id
    assert updates[0].before == {"name": "", "category": None}
    after = dict(updates[0].after or {})
    assert len(after.pop("sessions_revoked")) == 1  # the one the technician signed in with
    assert after == {"name": "Nina Network", "category": "Network", "password_changed": True}
    assert "brand new pw" not in str(updates[0].after)


async def test_a_password_an_admin_sets_signs_the_user_out_everywhere(stack: Stack) -> None:
    # An administrator resets a password when the old one may be known to someone else: the sessions
    # begun with it end, as when users change their own (POST /api/users/me/password).
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    technician = await stack.user(Role.technician, [acme.id])
    assert (await whoami(stack, technician["access_token"])).status_code == 200

    response = await put_user(stack, admin, technician["id"], {"password": "a brand new passphrase"})
    assert response.status_code == 200, response.text
    assert (await whoami(stack, technician["access_token"])).status_code == 401
    assert (await refresh(stack, technician["refresh_token"])).status_code == 401
    assert (await whoami(stack, admin["access_token"])).status_code == 200
    signed_in = await login(stack, technician["email"], "a brand new passphrase", device())
    assert signed_in.status_code == 200


async def test_company_admin_cannot_promote_or_touch_other_admins(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    peer = await stack.user(Role.company_admin, [acme.id])
    technician = await stack.user(Role.technician, [acme.id])
    promoted = await put_user(stack, admin, technician["id"], {"role": "company_admin"})
    assert promoted.status_code == 403
    assert promoted.json() == {"detail": "a company_admin cannot give the role company_admin"}
    assert (await put_user(stack, admin, peer["id"], {"name": "x"})).status_code == 403
    delete = await stack.http.delete(
        f"{stack.url}/api/users/{peer['id']}", headers=bearer(admin["access_token"])
    )
    assert delete.status_code == 403

    msp = await stack.user(Role.msp_admin, [])
    by_msp = await put_user(stack, msp, technician["id"], {"role": "company_admin"})
    assert by_msp.status_code == 200 and by_msp.json()["role"] == "company_admin"


async def test_company_admin_moves_a_technician_only_between_their_own_companies(stack: Stack) -> None:
    acme, acme_eu, globex = (
        await stack.company("Acme"),
        await stack.company("Acme EU"),
        await stack.company("Globex"),
    )
    admin = await stack.user(Role.company_admin, [acme.id, acme_eu.id])
    shared = await stack.user(Role.technician, [acme.id, globex.id])
    moved = await put_user(stack, admin, shared["id"], {"company_ids": [acme_eu.id]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["company_ids"] == [acme_eu.id]
    msp = await stack.user(Role.msp_admin, [])
    seen_by_msp = await stack.http.get(
        f"{stack.url}/api/users/{shared['id']}", headers=bearer(msp["access_token"])
    )
    # Globex's membership is not the Acme admin's to change, so it stays.
    assert seen_by_msp.json()["company_ids"] == sorted([acme_eu.id, globex.id])
    assert (await put_user(stack, admin, shared["id"], {"company_ids": [globex.id]})).status_code == 403
    # Account-wide changes would reach into Globex too.
    renamed = await put_user(stack, admin, shared["id"], {"name": "Renamed"})
    assert renamed.status_code == 403 and "companies you do not manage" in renamed.json()["detail"]


async def test_deleting_a_technician_disables_them(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    technician = await stack.user(Role.technician, [acme.id])
    url = f"{stack.url}/api/users/{technician['id']}"
    assert (await stack.http.delete(url, headers=bearer(admin["access_token"]))).status_code == 204
    assert (await login(stack, technician["email"], technician["password"], device())).status_code == 401
    assert (
        await stack.http.get(f"{stack.url}/api/users/me", headers=bearer(technician["access_token"]))
    ).status_code == 401
    assert (await stack.http.get(url, headers=bearer(admin["access_token"]))).status_code == 404

    msp = await stack.user(Role.msp_admin, [])
    seen = await stack.http.get(url, headers=bearer(msp["access_token"]))
    assert seen.json()["disabled"] is True and seen.json()["company_ids"] == []
    entries = [e for e in await audit_of(stack, technician["id"]) if e.action == "user.delete"]
    assert [(e.actor, e.company_id) for e in entries] == [(admin["id"], acme.id)]
    assert entries[0].after == {"company_ids": [], "disabled": True}


async def test_deleting_a_shared_technician_only_removes_them_from_my_companies(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    admin = await stack.user(Role.company_admin, [acme.id])
    shared = await stack.user(Role.technician, [acme.id, globex.id])
    deleted = await stack.http.delete(
        f"{stack.url}/api/users/{shared['id']}", headers=bearer(admin["access_token"])
    )
    assert deleted.status_code == 204
    assert (await login(stack, shared["email"], shared["password"], device())).status_code == 200
    globex_admin = await stack.user(Role.company_admin, [globex.id])
    seen = await stack.http.get(
        f"{stack.url}/api/users/{shared['id']}", headers=bearer(globex_admin["access_token"])
    )
    assert (
        seen.status_code == 200 and seen.json()["company_ids"] == [globex.id] and not seen.json()["disabled"]
    )


async def test_msp_admin_cannot_demote_or_disable_themselves_nor_skip_the_password_check(
    stack: Stack,
) -> None:
    msp = await stack.user(Role.msp_admin, [])
    for body in ({"role": "technician"}, {"disabled": True}):
        refused = await put_user(stack, msp, msp["id"], body)
        assert refused.status_code == 422, body
    # Nor set their own password here, where the current one is not asked for.
    refused = await put_user(stack, msp, msp["id"], {"password": "a new and long passphrase"})
    assert refused.status_code == 422 and "/api/users/me/password" in refused.text
    delete = await stack.http.delete(
        f"{stack.url}/api/users/{msp['id']}", headers=bearer(msp["access_token"])
    )
    assert delete.status_code == 422
    assert (
        await stack.http.get(f"{stack.url}/api/users/me", headers=bearer(msp["access_token"]))
    ).status_code == 200


async def test_msp_admin_restores_a_deleted_user(stack: Stack) -> None:
    acme = await stack.company("Acme")
    msp = await stack.user(Role.msp_admin, [])
    technician = await stack.user(Role.technician, [acme.id])
    url = f"{stack.url}/api/users/{technician['id']}"
    assert (await stack.http.delete(url, headers=bearer(msp["access_token"]))).status_code == 204
    assert (await login(stack, technician["email"], technician["password"], device())).status_code == 401
    restored = await put_user(stack, msp, technician["id"], {"disabled": False})
    assert restored.status_code == 200 and restored.json()["company_ids"] == [acme.id]
    assert (await login(stack, technician["email"], technician["password"], device())).status_code == 200


async def test_changing_email_to_a_taken_one_is_a_409(stack: Stack) -> None:
    acme = await stack.company("Acme")
    msp = await stack.user(Role.msp_admin, [])
    one, two = await stack.user(Role.technician, [acme.id]), await stack.user(Role.technician, [acme.id])
    taken = await put_user(stack, msp, one["id"], {"email": two["email"].upper()})
    assert taken.status_code == 409
    moved = await put_user(stack, msp, one["id"], {"email": f"new-{uuid.uuid4().hex[:6]}@example.com"})
    assert moved.status_code == 200
