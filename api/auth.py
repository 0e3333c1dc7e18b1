"""Sign-in with email and password; JWT access and refresh tokens."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field
from sqlmodel import select

from activities.db.models import RefreshToken, User
from activities.secrets import hash_password, verify_password
from api import tokens
from api.deps import ServicesDep, SessionDep
from api.permissions import public

router = APIRouter(prefix="/api/auth", tags=["auth"])

BAD_CREDENTIALS = "email or password is wrong"


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("equalises the timing of unknown emails")


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


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@router.post("/login", response_model=TokenPair, responses={401: {"description": BAD_CREDENTIALS}})
@public
async def login(
    body: LoginRequest, request: Request, services: ServicesDep, session: SessionDep
) -> TokenPair:
    user = (
        await session.execute(select(User).where(User.email == body.email.strip().lower()))
    ).scalar_one_or_none()
    # Verify against a dummy hash for unknown emails too, so timing does not reveal which emails exist.
    valid = verify_password(user.password_hash if user else _dummy_hash(), body.password)
    if user is None or not valid or user.disabled:
        raise HTTPException(401, BAD_CREDENTIALS)
    settings = services.settings
    access = tokens.issue(user.id, "access", timedelta(minutes=settings.access_token_minutes))
    refresh = tokens.issue(user.id, "refresh", timedelta(days=settings.refresh_token_days))
    refresh = tokens.TokenClaims(refresh.user_id, "refresh", refresh.jti, refresh.jti, refresh.expires_at)
    refresh_token = tokens.encode(settings.secret_key, refresh)
    session.add(
        RefreshToken(
            id=refresh.jti,
            user_id=user.id,
            family_id=refresh.jti,
            token_hash=_hash_token(refresh_token),
            issued_at=datetime.now(UTC),
            expires_at=refresh.expires_at,
            user_agent=request.headers.get("user-agent", "")[:400],
            ip=request.client.host if request.client else "",
        )
    )
    await session.commit()
    return TokenPair(
        access_token=tokens.encode(settings.secret_key, access),
        refresh_token=refresh_token,
        user=UserPublic(id=user.id, email=user.email, name=user.name, role=user.role, category=user.category),
    )
