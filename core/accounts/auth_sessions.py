"""Signed-in devices and their refresh tokens: start, rotate, revoke, list. Adds to the caller's transaction.

A session (an `AuthSession` row) is one device; its refresh tokens form one family whose id is the
session id. Each refresh spends the presented token and stores its successor. A spent token presented
again means two parties hold the family, so the session is revoked (OAuth 2.0 Security BCP, refresh
token rotation). Statements lock the session row before its tokens, so rotation, logout and theft
handling cannot deadlock one another.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, delete, exists, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core import audit
from core.db.models import AuthSession, RefreshToken
from core.security import constant_time_equal

log = logging.getLogger(__name__)

# Sessions record their last use at most this often, so reads do not turn into a write per request.
LAST_USE_RESOLUTION = timedelta(minutes=1)


class Reason(StrEnum):
    """Why a session ended, as stored in `auth_session.revoked_reason`."""

    logout = "logout"
    logout_all = "logout_all"
    revoked_by_user = "revoked_by_user"
    password_changed = "password_changed"  # noqa: S105 (a reason, not a secret)
    refresh_token_reused = "refresh_token_reused"  # noqa: S105 (a reason, not a secret)


class RefreshRefused(Exception):
    """The presented refresh token cannot be exchanged; the message says why, without secrets."""


class RefreshTokenReused(RefreshRefused):
    """An already-spent refresh token came back: the session is now revoked (in the caller's transaction)."""


@dataclass(frozen=True)
class Device:
    user_agent: str
    ip: str

    @classmethod
    def of(cls, user_agent: str | None, ip: str | None) -> Device:
        return cls(user_agent=(user_agent or "")[:400], ip=(ip or "")[:64])


@dataclass(frozen=True)
class NewRefreshToken:
    id: str
    token: str
    expires_at: datetime


def new_session_id() -> str:
    return "ses_" + secrets.token_hex(16)


def token_digest(token: str) -> str:
    # Refresh tokens carry a random jti and an HMAC, so a fast hash is enough to store them by.
    return hashlib.sha256(token.encode()).hexdigest()


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


async def start(
    session: AsyncSession,
    *,
    session_id: str,
    user_id: str,
    device: Device,
    refresh: NewRefreshToken,
    now: datetime,
) -> AuthSession:
    signed_in = AuthSession(
        id=session_id,
        user_id=user_id,
        user_agent=device.user_agent,
        ip=device.ip,
        created_at=now,
        last_used_at=now,
    )
    session.add(signed_in)
    await session.flush()
    _add_refresh_token(
        session, session_id=session_id, user_id=user_id, device=device, refresh=refresh, now=now
    )
    await session.flush()
    return signed_in


def _add_refresh_token(
    session: AsyncSession,
    *,
    session_id: str,
    user_id: str,
    device: Device,
    refresh: NewRefreshToken,
    now: datetime,
) -> None:
    session.add(
        RefreshToken(
            id=refresh.id,
            user_id=user_id,
            family_id=session_id,
            token_hash=token_digest(refresh.token),
            issued_at=now,
            expires_at=refresh.expires_at,
            user_agent=device.user_agent,
            ip=device.ip,
        )
    )


async def rotate(
    session: AsyncSession,
    *,
    user_id: str,
    session_id: str,
    token_id: str,
    token: str,
    successor: NewRefreshToken,
    device: Device,
    now: datetime,
) -> None:
    """Spends the presented refresh token and stores its successor, or raises `RefreshRefused`.

    Of two concurrent calls with the same token at most one succeeds: the spend is a conditional
    UPDATE, and the loser sees it change no row.
    """
    presented = await session.get(RefreshToken, token_id)
    if (
        presented is None
        or presented.user_id != user_id
        or presented.family_id != session_id
        or not constant_time_equal(presented.token_hash, token_digest(token))
    ):
        raise RefreshRefused("refresh token not recognised")
    if presented.expires_at <= now:
        raise RefreshRefused("token expired")
    touched = await session.execute(
        update(AuthSession)
        .where(
            col(AuthSession.id) == session_id,
            col(AuthSession.user_id) == user_id,
            col(AuthSession.revoked_at).is_(None),
        )
        .values(last_used_at=now, ip=device.ip)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(touched) != 1:
        raise RefreshRefused("session is signed out; sign in again")
    spent = await session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.id) == token_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now, last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(spent) != 1:
        await revoke(
            session, user_id=user_id, session_id=session_id, reason=Reason.refresh_token_reused, now=now
        )
        await audit.record(
            session,
            actor=user_id,
            action="auth.refresh_token_reused",
            company_id=None,
            object_type="auth_session",
            object_id=session_id,
            after={"ip": device.ip, "user_agent": device.user_agent},
        )
        log.warning(
            "refresh token reused; session revoked",
            extra={"user_id": user_id, "session_id": session_id, "ip": device.ip},
        )
        raise RefreshTokenReused("refresh token was already used; this session is now signed out")
    _add_refresh_token(
        session, session_id=session_id, user_id=user_id, device=device, refresh=successor, now=now
    )
    await session.flush()


async def revoke(
    session: AsyncSession, *, user_id: str, session_id: str, reason: Reason, now: datetime
) -> bool:
    """Signs one of `user_id`'s sessions out; False if it was not theirs or already signed out."""
    ended = await session.execute(
        update(AuthSession)
        .where(
            col(AuthSession.id) == session_id,
            col(AuthSession.user_id) == user_id,
            col(AuthSession.revoked_at).is_(None),
        )
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(RefreshToken)
        .where(
            col(RefreshToken.family_id) == session_id,
            col(RefreshToken.user_id) == user_id,
            col(RefreshToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(ended) == 1


async def revoke_all(
    session: AsyncSession, *, user_id: str, reason: Reason, now: datetime, keep: str | None = None
) -> list[str]:
    """Signs every session of `user_id` out except `keep`; returns the ids it signed out."""
    ending = col(AuthSession.user_id) == user_id
    spending = col(RefreshToken.user_id) == user_id
    if keep is not None:
        ending = ending & (col(AuthSession.id) != keep)
        spending = spending & (col(RefreshToken.family_id) != keep)
    ended = await session.execute(
        update(AuthSession)
        .where(ending, col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .returning(col(AuthSession.id))
        .execution_options(synchronize_session=False)
    )
    ids = sorted(str(i) for i in ended.scalars())
    await session.execute(
        update(RefreshToken)
        .where(spending, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return ids


async def active(session: AsyncSession, user_id: str, now: datetime) -> list[AuthSession]:
    """`user_id`'s sessions that are not signed out and still hold a refresh token that works."""
    live_token = exists().where(
        col(RefreshToken.family_id) == col(AuthSession.id),
        col(RefreshToken.revoked_at).is_(None),
        col(RefreshToken.expires_at) > now,
    )
    rows = await session.execute(
        select(AuthSession)
        .where(col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None), live_token)
        .order_by(col(AuthSession.last_used_at).desc())
    )
    return list(rows.scalars())


def last_use_is_stale(signed_in: AuthSession, now: datetime) -> bool:
    return now - signed_in.last_used_at >= LAST_USE_RESOLUTION


async def note_use(session: AsyncSession, session_id: str, now: datetime) -> None:
    await session.execute(
        update(AuthSession)
        .where(col(AuthSession.id) == session_id, col(AuthSession.last_used_at) < now)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


async def forget_user(session: AsyncSession, user_id: str) -> None:
    """Deletes a user's sessions and refresh tokens, which reference the user row, before it is deleted."""
    await session.execute(delete(RefreshToken).where(col(RefreshToken.user_id) == user_id))
    await session.execute(delete(AuthSession).where(col(AuthSession.user_id) == user_id))
