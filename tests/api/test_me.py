"""The signed-in user's own profile and password, through the HTTP API."""

from __future__ import annotations

from core.accounts.roles import Role
from tests.support.signin import audit_entries, bearer, login, refresh, sign_in, whoami
from tests.support.stack import Stack


async def change_password(stack: Stack, access_token: str, current: str, new: str) -> int:
    response = await stack.http.post(
        f"{stack.url}/api/users/me/password",
        json={"current_password": current, "new_password": new},
        headers=bearer(access_token),
    )
    return response.status_code


async def test_me_shows_my_profile_and_companies_without_secrets(stack: Stack) -> None:
    acme = await stack.company()
    user = await stack.user(Role.company_admin, [acme.id])
    response = await whoami(stack, user["access_token"])
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["id"] == user["id"] and me["email"] == user["email"]
    assert me["role"] == "company_admin" and me["company_ids"] == [acme.id]
    assert not {"password", "password_hash"} & set(me)
    # The web UI hides what the role may not do: an admin rotates keys but creates no companies.
    assert "companies:credentials" in me["permissions"] and "companies:create" not in me["permissions"]


async def test_me_requires_sign_in(stack: Stack) -> None:
    assert (await stack.http.get(f"{stack.url}/api/users/me")).status_code == 401


async def test_profile_update_changes_my_name_and_is_audited(stack: Stack) -> None:
    acme = await stack.company()
    user = await stack.user(Role.technician, [acme.id])
    response = await stack.http.put(
        f"{stack.url}/api/users/me", json={"name": "  Ada Lovelace "}, headers=bearer(user["access_token"])
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Ada Lovelace"
    assert (await whoami(stack, user["access_token"])).json()["name"] == "Ada Lovelace"
    updates = [e for e in await audit_entries(stack, user["id"]) if e.action == "user.profile_updated"]
    assert [(e.before, e.after) for e in updates] == [({"name": ""}, {"name": "Ada Lovelace"})]


async def test_profile_name_limit_applies_to_what_was_sent(stack: Stack) -> None:
    user = await stack.user(Role.technician, [(await stack.company()).id])
    for name in ["\u000b" + "W" * 200, "   "]:  # too long before stripping; blank
        response = await stack.http.put(
            f"{stack.url}/api/users/me", json={"name": name}, headers=bearer(user["access_token"])
        )
        assert response.status_code == 422, response.text
    assert (await whoami(stack, user["access_token"])).json()["name"] == ""


async def test_profile_update_cannot_change_role_email_or_companies(stack: Stack) -> None:
    acme, other = await stack.company(), await stack.company()
    user = await stack.user(Role.technician, [acme.id])
    for field, value in [("role", "msp_admin"), ("email", "boss@example.com"), ("company_ids", [other.id])]:
        response = await stack.http.put(
            f"{stack.url}/api/users/me",
            json={"name": "Eve", field: value},
            headers=bearer(user["access_token"]),
        )
        assert response.status_code == 422, field
    me = (await whoami(stack, user["access_token"])).json()
    assert (me["role"], me["email"], me["company_ids"], me["name"]) == (
        "technician",
        user["email"],
        [acme.id],
        "",
    )


async def test_wrong_current_password_is_refused_with_a_reason(stack: Stack) -> None:
    acme = await stack.company()
    user = await stack.user(Role.technician, [acme.id])
    response = await stack.http.post(
        f"{stack.url}/api/users/me/password",
        json={"current_password": "not it", "new_password": "a brand new password"},
        headers=bearer(user["access_token"]),
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "current password is wrong"
    assert (await login(stack, user["email"], user["password"])).status_code == 200


async def test_password_change_signs_out_other_sessions_and_keeps_this_one(stack: Stack) -> None:
    acme = await stack.company()
    user = await stack.user(Role.technician, [acme.id])
    laptop = await sign_in(stack, user, user_agent="laptop")
    new_password = "a brand new password"
    assert await change_password(stack, user["access_token"], user["password"], new_password) == 204

    assert (await whoami(stack, laptop["access_token"])).status_code == 401
    assert (await refresh(stack, laptop["refresh_token"])).status_code == 401
    assert (await whoami(stack, user["access_token"])).status_code == 200
    assert (await refresh(stack, user["refresh_token"])).status_code == 200
    assert (await login(stack, user["email"], user["password"])).status_code == 401
    assert (await login(stack, user["email"], new_password)).status_code == 200
    changes = [e for e in await audit_entries(stack, user["id"]) if e.action == "user.password_changed"]
    assert len(changes) == 1 and new_password not in str(changes[0].after)


async def test_new_password_must_be_long_enough_and_differ_from_the_current_one(stack: Stack) -> None:
    acme = await stack.company()
    user = await stack.user(Role.technician, [acme.id])
    assert await change_password(stack, user["access_token"], user["password"], "short") == 422
    assert await change_password(stack, user["access_token"], user["password"], user["password"]) == 400
    assert (await login(stack, user["email"], user["password"])).status_code == 200
