"""Sign-in, token refresh, sign-out and the signed-in devices (sessions) of the caller."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from api import tokens
from api.deps import ServicesDep, SessionDep, bearer, unauthorized
from api.permissions import CanManageSelf, public
from core import audit
from core.accounts import auth_sessions, login_throttle
from core.accounts.auth_sessions import Device, NewRefreshToken, Reason
from core.accounts.login_throttle import Reservation
from core.db.models import User
from core.runtime import Services
from core.settings import Settings

router = APIRouter(prefix="/api/auth", tags=["auth"])

BAD_CREDENTIALS = "email or password is wrong"
THROTTLED = "too many failed sign-ins; try again later"


class LoginRequest(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class UserPublic(BaseModel):
    id: str
    email: str
    name: str
    role: str
    category: str | None


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    user: UserPublic


class SessionPublic(BaseModel):
    id: str
    user_agent: str
    ip: str
    created_at: datetime
    last_used_at: datetime
    current: bool


def device_of(request: Request) -> Device:
    """The peer address, or the client a trusted proxy names (AW_TRUSTED_PROXIES, applied in api/app.py)."""
    return Device.of(request.headers.get("user-agent"), request.client.host if request.client else None)


async def reserve_attempt(services: Services, email: str, device: Device) -> Reservation:
    """Counts a password attempt before the password is checked, committed at once so concurrent attempts
    see it; 429 while the account, the address or the pair is backing off (whether or not the account
    exists)."""
    settings = services.settings
    limits = login_throttle.FreeFailures(
        pair=settings.login_pair_free_failures,
        account=settings.login_account_free_failures,
        source=settings.login_source_free_failures,
    )
    keys = login_throttle.keys_for(email, device.ip, limits)
    now = datetime.now(UTC)
    async with services.sessions() as own, own.begin():
        reservation = await login_throttle.reserve(own, keys, now)
        if reservation is None:
            wait_s = await login_throttle.retry_after_s(own, keys, now)
    if reservation is None:
        raise HTTPException(429, THROTTLED, headers={"Retry-After": str(max(1, wait_s))})
    return reservation


async def check_password(
    services: Services, reservation: Reservation, password_hash: str | None, password: str
) -> bool:
    """Verifies off the event loop; a check that never ran (too busy) gives its attempt back."""
    try:
        return await services.passwords.verify(password_hash, password)
    except Exception:
        async with services.sessions() as own, own.begin():
            await login_throttle.release(own, reservation)
        raise


def _token_pair(settings: Settings, user: User, session_id: str) -> tuple[str, NewRefreshToken]:
    access = tokens.issue(user.id, "access", session_id, timedelta(minutes=settings.access_token_minutes))
    refresh = tokens.issue(user.id, "refresh", session_id, timedelta(days=settings.refresh_token_days))
    return tokens.encode(settings.secret_key, access), NewRefreshToken(
        id=refresh.jti, token=tokens.encode(settings.secret_key, refresh), expires_at=refresh.expires_at
    )


def _answer(user: User, access_token: str, refresh: NewRefreshToken) -> TokenPair:
    return TokenPair(
        access_token=access_token,
        refresh_token=refresh.token,
        user=UserPublic(id=user.id, email=user.email, name=user.name, role=user.role, category=user.category),
    )


@router.post(
    "/login",
    response_model=TokenPair,
    responses={401: {"description": BAD_CREDENTIALS}, 429: {"description": THROTTLED}},
)
@public
async def login(
    body: LoginRequest, request: Request, services: ServicesDep, session: SessionDep
) -> TokenPair:
    settings, device = services.settings, device_of(request)
    email = body.email.strip().lower()
    reservation = await reserve_attempt(services, email, device)
    async with services.sessions() as own:
        user = (await own.execute(select(User).where(User.email == email))).scalar_one_or_none()
    # No database connection is held while the password is checked (a quarter of a second of CPU on a
    # thread of its own). Unknown emails cost the same, so timing does not reveal which emails exist.
    valid = await check_password(services, reservation, user.password_hash if user else None, body.password)
    now = datetime.now(UTC)
    if user is None or not valid or user.disabled:
        await login_throttle.record_failure(session, reservation, now, settings.login_backoff_base_s)
        await session.commit()
        raise HTTPException(401, BAD_CREDENTIALS)
    await login_throttle.record_success(session, reservation)
    session_id = auth_sessions.new_session_id()
    access_token, refresh = _token_pair(settings, user, session_id)
    await auth_sessions.start(
        session, session_id=session_id, user_id=user.id, device=device, refresh=refresh, now=now
    )
    await audit.record(
        session,
        actor=user.id,
        action="auth.login",
        company_id=None,
        object_type="auth_session",
        object_id=session_id,
        after={"ip": device.ip, "user_agent": device.user_agent},
    )
    await session.commit()
    return _answer(user, access_token, refresh)


@router.post(
    "/refresh",
    response_model=TokenPair,
    responses={401: {"description": "refresh token invalid, expired, already used or signed out"}},
)
@public  # authenticated by the refresh token itself, not by an access token
async def refresh(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> TokenPair:
    """Exchanges `Authorization: Bearer <refresh_token>` for a new pair; the presented token is spent."""
    settings = services.settings
    if credentials is None:
        raise unauthorized("missing bearer refresh token")
    try:
        claims = tokens.decode(settings.secret_key, credentials.credentials, "refresh")
    except tokens.TokenInvalid as err:
        raise unauthorized(str(err)) from None
    user = await session.get(User, claims.user_id)
    if user is None or user.disabled:
        raise unauthorized("user no longer exists or is disabled")
    access_token, successor = _token_pair(settings, user, claims.session_id)
    try:
        await auth_sessions.rotate(
            session,
            user_id=user.id,
            session_id=claims.session_id,
            token_id=claims.jti,
            token=credentials.credentials,
            successor=successor,
            device=device_of(request),
            now=datetime.now(UTC),
        )
    except auth_sessions.RefreshTokenReused as err:
        await session.commit()  # the revoked session and its audit entry outlive this refusal
        raise unauthorized(str(err)) from None
    except auth_sessions.RefreshRefused as err:
        raise unauthorized(str(err)) from None
    await session.commit()
    return _answer(user, access_token, successor)


@router.post("/logout", status_code=204, response_class=Response)
async def logout(principal: CanManageSelf, session: SessionDep) -> None:
    """Signs this device out: its access and refresh tokens stop working at once."""
    if principal.session_id is None:
        raise unauthorized("access token names no session; sign in again")
    await _end_session(session, principal.user.id, principal.session_id, Reason.logout, "auth.logout")


@router.post("/logout-all", status_code=204, response_class=Response)
async def logout_all(principal: CanManageSelf, session: SessionDep) -> None:
    """Signs every device of the caller out, this one included."""
    ended = await auth_sessions.revoke_all(
        session, user_id=principal.user.id, reason=Reason.logout_all, now=datetime.now(UTC)
    )
    await audit.record(
        session,
        actor=principal.user.id,
        action="auth.logout_all",
        company_id=None,
        object_type="user",
        object_id=principal.user.id,
        after={"sessions_revoked": ended},
    )
    await session.commit()


@router.get("/sessions", response_model=list[SessionPublic])
async def list_sessions(principal: CanManageSelf, session: SessionDep) -> list[SessionPublic]:
    """The caller's signed-in devices, most recently used first."""
    rows = await auth_sessions.active(session, principal.user.id, datetime.now(UTC))
    return [
        SessionPublic(
            id=row.id,
            user_agent=row.user_agent,
            ip=row.ip,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            current=row.id == principal.session_id,
        )
        for row in rows
    ]


@router.delete(
    "/sessions/{session_id}",
    status_code=204,
    response_class=Response,
    responses={404: {"description": "no signed-in session of yours has this id"}},
)
async def revoke_session(
    principal: CanManageSelf, session: SessionDep, session_id: Annotated[str, Path(max_length=64)]
) -> None:
    await _end_session(session, principal.user.id, session_id, Reason.revoked_by_user, "auth.session_revoked")


async def _end_session(
    session: AsyncSession, user_id: str, session_id: str, reason: Reason, action: str
) -> None:
    if not await auth_sessions.revoke(
        session, user_id=user_id, session_id=session_id, reason=reason, now=datetime.now(UTC)
    ):
        # Someone else's session and a session that does not exist look the same.
        raise HTTPException(404, "no signed-in session of yours has this id")
    await audit.record(
        session,
        actor=user_id,
        action=action,
        company_id=None,
        object_type="auth_session",
        object_id=session_id,
    )
    await session.commit()
