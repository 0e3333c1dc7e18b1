"""Sessions: rotating refresh tokens, theft detection, sign-out per device and everywhere, token
rejections, and login throttling, all through the HTTP API."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import delete, update
from sqlmodel import col

from core.accounts import auth_sessions
from core.accounts.roles import Role
from core.db.models import User, UserCompany
from core.settings import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.support.signin import (
    audit_entries,
    bearer,
    device,
    fresh_ip,
    login,
    refresh,
    sign_in,
    whoami,
)
from tests.support.stack import Stack


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The shared test settings, with a test's overrides:
    `@pytest.mark.parametrize("settings", [{...}], indirect=True)`."""
    overrides: dict[str, Any] = getattr(request, "param", {})
    return settings.model_copy(update=overrides)


async def technician(stack: Stack) -> dict[str, str]:
    acme = await stack.company()
    return await stack.user(Role.technician, [acme.id])


def claims_of(token: str) -> dict[str, Any]:
    payload: dict[str, Any] = jwt.decode(token, TEST_SECRET_KEY, algorithms=["HS256"])
    return payload


async def sessions_of(stack: Stack, access_token: str) -> list[dict[str, Any]]:
    response = await stack.http.get(f"{stack.url}/api/auth/sessions", headers=bearer(access_token))
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()
    return listed


# --- refresh rotation ------------------------------------------------------------------------------------


async def test_refresh_returns_a_new_pair_and_the_old_refresh_token_is_then_refused(stack: Stack) -> None:
    user = await technician(stack)
    rotated = await refresh(stack, user["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    pair = rotated.json()
    assert pair["access_token"] != user["access_token"] and pair["refresh_token"] != user["refresh_token"]
    assert claims_of(pair["refresh_token"])["sid"] == claims_of(user["refresh_token"])["sid"]
    assert (await whoami(stack, pair["access_token"])).status_code == 200

    again = await refresh(stack, user["refresh_token"])
    assert again.status_code == 401
    assert again.headers["WWW-Authenticate"] == "Bearer"


async def test_reusing_a_rotated_refresh_token_signs_that_session_out(stack: Stack) -> None:
    user = await technician(stack)
    other_device = await sign_in(stack, user, user_agent="laptop")
    pair = (await refresh(stack, user["refresh_token"])).json()

    stolen = await refresh(stack, user["refresh_token"])
    assert stolen.status_code == 401
    assert "already used" in stolen.json()["detail"]
    assert (await refresh(stack, pair["refresh_token"])).status_code == 401
    assert (await whoami(stack, pair["access_token"])).status_code == 401
    # Only that device's session ends; the user's other devices stay signed in.
    assert (await whoami(stack, other_device["access_token"])).status_code == 200
    theft = [e for e in await audit_entries(stack, user["id"]) if e.action == "auth.refresh_token_reused"]
    assert [e.object_id for e in theft] == [claims_of(pair["refresh_token"])["sid"]]


async def test_concurrent_refreshes_with_one_token_let_exactly_one_through(stack: Stack) -> None:
    user = await technician(stack)
    answers = await asyncio.gather(*(refresh(stack, user["refresh_token"]) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [200, 401], [a.text for a in answers]
    # The second presentation of a spent token is reuse, so the session ends for the winner too.
    winner = next(a for a in answers if a.status_code == 200).json()
    assert (await whoami(stack, winner["access_token"])).status_code == 401


# --- which tokens are refused ----------------------------------------------------------------------------


async def test_refresh_token_is_refused_as_an_access_token(stack: Stack) -> None:
    user = await technician(stack)
    response = await whoami(stack, user["refresh_token"])
    assert response.status_code == 401
    assert response.json()["detail"] == "not an access token"


async def test_access_token_is_refused_as_a_refresh_token(stack: Stack) -> None:
    user = await technician(stack)
    response = await refresh(stack, user["access_token"])
    assert response.status_code == 401
    assert response.json()["detail"] == "not a refresh token"
    assert (await refresh(stack, user["refresh_token"])).status_code == 200


async def test_expired_tokens_are_refused(stack: Stack) -> None:
    user = await technician(stack)
    past = datetime.now(UTC) - timedelta(minutes=1)
    for kind in ("access", "refresh"):
        expired = jwt.encode({**claims_of(user[f"{kind}_token"]), "exp": past}, TEST_SECRET_KEY, "HS256")
        response = await (whoami if kind == "access" else refresh)(stack, expired)
        assert response.status_code == 401, kind
        assert response.json()["detail"] == "token expired"


async def test_token_signed_with_another_key_is_refused(stack: Stack) -> None:
    user = await technician(stack)
    forged = jwt.encode(claims_of(user["access_token"]), "another-secret-key-" + "y" * 40, "HS256")
    response = await whoami(stack, forged)
    assert response.status_code == 401
    assert response.json()["detail"] == "token invalid"


async def test_unsigned_token_with_alg_none_is_refused(stack: Stack) -> None:
    user = await technician(stack)

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    unsigned = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims_of(user['access_token']))}."
    response = await whoami(stack, unsigned)
    assert response.status_code == 401
    assert response.json()["detail"] == "token invalid"


async def test_disabled_users_tokens_are_refused(stack: Stack) -> None:
    user = await technician(stack)
    async with stack.services.sessions() as session, session.begin():
        await session.execute(update(User).where(col(User.id) == user["id"]).values(disabled=True))
    assert (await whoami(stack, user["access_token"])).status_code == 401
    assert (await refresh(stack, user["refresh_token"])).status_code == 401


async def test_deleted_users_tokens_are_refused(stack: Stack) -> None:
    user = await technician(stack)
    async with stack.services.sessions() as session, session.begin():
        await auth_sessions.forget_user(session, user["id"])
        await session.execute(delete(UserCompany).where(col(UserCompany.user_id) == user["id"]))
        await session.execute(delete(User).where(col(User.id) == user["id"]))
    assert (await whoami(stack, user["access_token"])).status_code == 401
    assert (await refresh(stack, user["refresh_token"])).status_code == 401


# --- signing out -----------------------------------------------------------------------------------------


async def test_logout_signs_out_this_device_only(stack: Stack) -> None:
    user = await technician(stack)
    other_device = await sign_in(stack, user)
    response = await stack.http.post(f"{stack.url}/api/auth/logout", headers=bearer(user["access_token"]))
    assert response.status_code == 204, response.text
    assert (await whoami(stack, user["access_token"])).status_code == 401
    assert (await refresh(stack, user["refresh_token"])).status_code == 401
    assert (await whoami(stack, other_device["access_token"])).status_code == 200
    assert (await refresh(stack, other_device["refresh_token"])).status_code == 200
    assert "auth.logout" in {e.action for e in await audit_entries(stack, user["id"])}


async def test_logout_all_signs_out_every_device(stack: Stack) -> None:
    user = await technician(stack)
    devices = [await sign_in(stack, user) for _ in range(2)]
    response = await stack.http.post(f"{stack.url}/api/auth/logout-all", headers=bearer(user["access_token"]))
    assert response.status_code == 204, response.text
    for pair in [user, *devices]:
        assert (await whoami(stack, pair["access_token"])).status_code == 401
        assert (await refresh(stack, pair["refresh_token"])).status_code == 401
    assert "auth.logout_all" in {e.action for e in await audit_entries(stack, user["id"])}


async def test_sessions_list_shows_user_agent_ip_and_last_use(stack: Stack) -> None:
    user = await technician(stack)
    before = datetime.now(UTC) - timedelta(seconds=5)
    phone = await sign_in(stack, user, user_agent="AlertWhisperer-iOS/2.1", ip="203.0.113.7")
    listed = await sessions_of(stack, phone["access_token"])
    assert len(listed) == 2
    current = next(s for s in listed if s["current"])
    assert current["id"] == claims_of(phone["access_token"])["sid"]
    assert current["user_agent"] == "AlertWhisperer-iOS/2.1" and current["ip"] == "203.0.113.7"
    assert datetime.fromisoformat(current["last_used_at"]) >= before
    assert "refresh_token" not in json.dumps(listed) and "hash" not in json.dumps(listed)


async def test_signed_out_sessions_leave_the_list(stack: Stack) -> None:
    user = await technician(stack)
    laptop = await sign_in(stack, user)
    await stack.http.post(f"{stack.url}/api/auth/logout", headers=bearer(laptop["access_token"]))
    listed = await sessions_of(stack, user["access_token"])
    assert [s["id"] for s in listed] == [claims_of(user["access_token"])["sid"]]


async def test_deleting_another_of_my_sessions_signs_that_device_out(stack: Stack) -> None:
    user = await technician(stack)
    laptop = await sign_in(stack, user, user_agent="laptop")
    laptop_sid = claims_of(laptop["access_token"])["sid"]
    response = await stack.http.delete(
        f"{stack.url}/api/auth/sessions/{laptop_sid}", headers=bearer(user["access_token"])
    )
    assert response.status_code == 204, response.text
    assert (await whoami(stack, laptop["access_token"])).status_code == 401
    assert (await refresh(stack, laptop["refresh_token"])).status_code == 401
    assert (await whoami(stack, user["access_token"])).status_code == 200
    revoked = [e for e in await audit_entries(stack, user["id"]) if e.action == "auth.session_revoked"]
    assert [e.object_id for e in revoked] == [laptop_sid]


async def test_deleting_someone_elses_session_is_404_and_leaves_it_signed_in(stack: Stack) -> None:
    acme = await stack.company()
    me = await stack.user(Role.technician, [acme.id])
    colleague = await stack.user(Role.technician, [acme.id])
    their_sid = claims_of(colleague["access_token"])["sid"]
    response = await stack.http.delete(
        f"{stack.url}/api/auth/sessions/{their_sid}", headers=bearer(me["access_token"])
    )
    assert response.status_code == 404
    unknown = await stack.http.delete(
        f"{stack.url}/api/auth/sessions/ses_unknown", headers=bearer(me["access_token"])
    )
    assert unknown.status_code == 404 and unknown.json() == response.json()
    assert (await whoami(stack, colleague["access_token"])).status_code == 200


async def test_session_routes_require_sign_in(stack: Stack) -> None:
    for method, path in [
        ("POST", "/api/auth/logout"),
        ("POST", "/api/auth/logout-all"),
        ("GET", "/api/auth/sessions"),
        ("DELETE", "/api/auth/sessions/ses_x"),
        ("POST", "/api/auth/refresh"),
    ]:
        response = await stack.http.request(method, f"{stack.url}{path}")
        assert response.status_code == 401, (method, path)


# --- login throttling ------------------------------------------------------------------------------------


@pytest.mark.parametrize("settings", [{"login_backoff_base_s": 60.0}], indirect=True)
async def test_sixth_failed_login_from_one_address_is_throttled_and_unknown_email_gets_the_same_answer(
    stack: Stack,
) -> None:
    user = await technician(stack)
    unknown = f"nobody-{time.time_ns()}@example.com"
    answers = {}
    for email in (user["email"], unknown):
        ip = fresh_ip()
        for _ in range(5):
            assert (await login(stack, email, "wrong password", device(ip=ip))).status_code == 401
        answers[email] = await login(stack, email, "wrong password", device(ip=ip))
    for answer in answers.values():
        assert answer.status_code == 429, answer.text
        assert 1 <= int(answer.headers["Retry-After"]) <= 60
    assert answers[user["email"]].json() == answers[unknown].json()


# 5 s, not 1 s: the refused attempt must come before the back-off ends, and the fifth failed sign-in's
# Argon2 check alone can take a second on a busy machine.
@pytest.mark.parametrize("settings", [{"login_backoff_base_s": 5.0}], indirect=True)
async def test_throttled_pair_refuses_even_the_right_password_until_the_back_off_passes(
    stack: Stack,
) -> None:
    user = await technician(stack)
    ip = fresh_ip()
    for _ in range(5):
        assert (await login(stack, user["email"], "wrong password", device(ip=ip))).status_code == 401
    blocked = await login(stack, user["email"], user["password"], device(ip=ip))
    assert blocked.status_code == 429, blocked.text
    assert 1 <= int(blocked.headers["Retry-After"]) <= 5
    await asyncio.sleep(int(blocked.headers["Retry-After"]))
    assert (await login(stack, user["email"], user["password"], device(ip=ip))).status_code == 200


@pytest.mark.parametrize("settings", [{"login_backoff_base_s": 60.0}], indirect=True)
async def test_successful_login_resets_the_accounts_failures(stack: Stack) -> None:
    user = await technician(stack)
    ip = fresh_ip()
    for _ in range(2):
        for _ in range(4):
            assert (await login(stack, user["email"], "wrong password", device(ip=ip))).status_code == 401
        assert (await login(stack, user["email"], user["password"], device(ip=ip))).status_code == 200


@pytest.mark.parametrize("settings", [{"login_backoff_base_s": 60.0}], indirect=True)
async def test_guessing_from_elsewhere_does_not_lock_the_owner_out(stack: Stack) -> None:
    """Five wrong passwords block that address for that account only: the technician signing in from
    their own place during an incident is not locked out by someone guessing elsewhere."""
    user = await technician(stack)
    attacker = fresh_ip()
    for _ in range(5):
        assert (await login(stack, user["email"], "wrong password", device(ip=attacker))).status_code == 401
    assert (await login(stack, user["email"], user["password"], device(ip=attacker))).status_code == 429
    assert (await login(stack, user["email"], user["password"], device(ip=fresh_ip()))).status_code == 200


@pytest.mark.parametrize("settings", [{"login_backoff_base_s": 60.0}], indirect=True)
async def test_failures_from_a_shared_address_do_not_lock_its_other_users_out(stack: Stack) -> None:
    """An office behind one NAT address: 25 failures on other accounts (20 blocked the address before)
    do not block this user; the address's own limit is higher (100 by default)."""
    user = await technician(stack)
    office = fresh_ip()
    for n in range(25):
        guess = await login(stack, f"guess-{n}-{time.time_ns()}@example.com", "password1", device(ip=office))
        assert guess.status_code == 401
    assert (await login(stack, user["email"], user["password"], device(ip=office))).status_code == 200


@pytest.mark.parametrize(
    "settings", [{"login_backoff_base_s": 60.0, "login_source_free_failures": 12}], indirect=True
)
async def test_many_failed_logins_from_one_address_throttle_that_address_for_every_account(
    stack: Stack,
) -> None:
    user = await technician(stack)
    ip = fresh_ip()
    for n in range(12):
        guess = await login(stack, f"guess-{n}-{time.time_ns()}@example.com", "password1", device(ip=ip))
        assert guess.status_code == 401
    from_that_ip = await login(stack, user["email"], user["password"], device(ip=ip))
    assert from_that_ip.status_code == 429 and int(from_that_ip.headers["Retry-After"]) >= 1
    assert (await login(stack, user["email"], user["password"], device(ip=fresh_ip()))).status_code == 200


@pytest.mark.parametrize(
    "settings", [{"login_backoff_base_s": 60.0, "login_account_free_failures": 8}], indirect=True
)
async def test_guessing_one_account_from_many_addresses_throttles_the_account(stack: Stack) -> None:
    user = await technician(stack)
    for _ in range(8):
        assert (await login(stack, user["email"], "wrong password", device(ip=fresh_ip()))).status_code == 401
    assert (await login(stack, user["email"], user["password"], device(ip=fresh_ip()))).status_code == 429
