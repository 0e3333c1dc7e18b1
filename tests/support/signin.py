"""Signing in over HTTP as a given device, for the session and profile tests."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from core.db.models import AuditLog
from tests.support.stack import Stack


def cheap_password_hashes(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Passwords set through `stack` from now on get Argon2id hashes of the lowest cost. Sign-in still runs
    the real check, whose cost comes from the hash: about a millisecond instead of a quarter of a second
    of CPU on the one hashing thread. For tests that make hundreds of users and sign-ins to prove
    something else (permissions, schema conformance); the sign-in tests keep the real cost."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

    async def cheap_hash(password: str) -> str:
        return cheap.hash(password)

    monkeypatch.setattr(stack.services.passwords, "hash", cheap_hash)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def fresh_ip() -> str:
    """An address no other test signs in from (the test settings trust X-Forwarded-For from localhost,
    as from a reverse proxy), so failed sign-ins in one test never throttle another."""
    return "10." + ".".join(str(b) for b in secrets.token_bytes(3))


def device(user_agent: str = "pytest", ip: str | None = None) -> dict[str, str]:
    return {"User-Agent": user_agent, "X-Forwarded-For": ip or fresh_ip()}


async def login(
    stack: Stack, email: str, password: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await stack.http.post(
        f"{stack.url}/api/auth/login",
        json={"email": email, "password": password},
        headers=headers or device(),
    )


async def sign_in(stack: Stack, user: dict[str, str], **device_args: Any) -> dict[str, Any]:
    """Signs `user` in again, as another device: a new session with its own pair of tokens."""
    response = await login(stack, user["email"], user["password"], device(**device_args))
    assert response.status_code == 200, response.text
    pair: dict[str, Any] = response.json()
    return pair


async def refresh(stack: Stack, refresh_token: str) -> httpx.Response:
    return await stack.http.post(f"{stack.url}/api/auth/refresh", headers=bearer(refresh_token))


async def whoami(stack: Stack, access_token: str) -> httpx.Response:
    """The cheapest signed-in call: 200 while the access token works, 401 once it does not."""
    return await stack.http.get(f"{stack.url}/api/users/me", headers=bearer(access_token))


async def audit_entries(stack: Stack, actor: str) -> list[AuditLog]:
    async with stack.services.sessions() as session:
        rows = await session.execute(select(AuditLog).where(AuditLog.actor == actor))
        return list(rows.scalars())
