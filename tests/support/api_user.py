"""One signed-in user calling the HTTP API, and the users a company's schedule or chain may name or not."""

from __future__ import annotations

from typing import Any, NamedTuple

import httpx

from core.accounts.roles import Role
from core.db.models import User
from tests.support.signin import bearer
from tests.support.stack import Stack, TenantCreds


class ApiUser:
    """Calls below `prefix` (such as `/api/escalation-chains`) with `user`'s token."""

    def __init__(self, stack: Stack, user: dict[str, str], prefix: str) -> None:
        self.stack, self.headers, self.user_id = stack, bearer(user["access_token"]), user["id"]
        self.prefix = prefix

    async def call(self, method: str, path: str = "", json: Any = None, **params: Any) -> httpx.Response:
        return await self.stack.http.request(
            method,
            f"{self.stack.url}{self.prefix}{path}",
            json=json,
            params=params or None,
            headers=self.headers,
        )

    async def create(self, body: dict[str, Any], path: str = "") -> dict[str, Any]:
        response = await self.call("POST", path, json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


async def api_user(stack: Stack, prefix: str, role: Role, companies: list[TenantCreds]) -> ApiUser:
    return ApiUser(stack, await stack.user(role, [c.id for c in companies]), prefix)


class Nominees(NamedTuple):
    """Technicians of a company: one it may name, one of another company only, and one disabled."""

    member: str
    stranger: str
    disabled: str


async def nominees(stack: Stack, company: TenantCreds, other: TenantCreds) -> Nominees:
    member = (await stack.user(Role.technician, [company.id]))["id"]
    stranger = (await stack.user(Role.technician, [other.id]))["id"]
    disabled = (await stack.user(Role.technician, [company.id]))["id"]
    async with stack.services.sessions() as session, session.begin():
        user = await session.get(User, disabled)
        assert user is not None
        user.disabled = True
    return Nominees(member, stranger, disabled)
