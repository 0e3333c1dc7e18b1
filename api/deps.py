"""Dependency aliases for routes: the services, a database session, the signed-in user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from api import tokens
from core.accounts import auth_sessions
from core.accounts.actor import Actor
from core.accounts.roles import Role
from core.db.models import AuthSession, User, UserCompany
from core.runtime import Services


async def get_services(request: Request) -> Services:  # async: a sync dependency costs a thread hop
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_session(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    async with services.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]

bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Principal:
    user: User
    company_ids: frozenset[str]
    # The signed-in device the access token belongs to (`sid`): logout ends this one.
    session_id: str | None = None

    @property
    def role(self) -> Role:
        return Role(self.user.role)

    @property
    def sees_every_company(self) -> bool:
        return self.role == Role.msp_admin

    @property
    def actor(self) -> Actor:
        """The caller as core's rules know it."""
        return Actor(user_id=self.user.id, role=self.role, company_ids=self.company_ids)


def unauthorized(reason: str) -> HTTPException:
    return HTTPException(status_code=401, detail=reason, headers={"WWW-Authenticate": "Bearer"})


async def get_principal(
    services: ServicesDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise unauthorized("missing bearer access token; sign in at POST /api/auth/login")
    principal, _ = await principal_for_token(services, session, credentials.credentials)
    return principal


async def principal_for_token(
    services: Services, session: AsyncSession, token: str
) -> tuple[Principal, tokens.TokenClaims]:
    """The caller an access token signs in, and its claims; 401 unless the token and its session hold."""
    try:
        claims = tokens.decode(services.settings.secret_key, token, "access")
    except tokens.TokenInvalid as err:
        raise unauthorized(str(err)) from None
    user = await session.get(User, claims.user_id)
    if user is None or user.disabled:
        raise unauthorized("user no longer exists or is disabled")
    # Checked on every request, so signing out takes effect before the access token expires.
    signed_in = await session.get(AuthSession, claims.session_id)
    if signed_in is None or signed_in.user_id != user.id or signed_in.revoked_at is not None:
        raise unauthorized("session is signed out; sign in again")
    now = datetime.now(UTC)
    if auth_sessions.last_use_is_stale(signed_in, now):
        # Its own short transaction: the route's session stays as the route expects it.
        async with services.sessions() as own, own.begin():
            await auth_sessions.note_use(own, signed_in.id, now)
    rows = await session.execute(select(UserCompany.company_id).where(UserCompany.user_id == user.id))
    principal = Principal(user=user, company_ids=frozenset(rows.scalars()), session_id=signed_in.id)
    return principal, claims


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
