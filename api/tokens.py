"""JWT access and refresh tokens (PyJWT, HS256)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt

ALGORITHM = "HS256"
TokenType = Literal["access", "refresh"]


class TokenInvalid(Exception):
    pass


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    token_type: TokenType
    jti: str
    family: str | None
    expires_at: datetime


def issue(user_id: str, token_type: TokenType, ttl: timedelta, family: str | None = None) -> TokenClaims:
    now = datetime.now(UTC)
    return TokenClaims(user_id, token_type, secrets.token_hex(16), family, now + ttl)


def encode(secret_key: str, claims: TokenClaims) -> str:
    payload = {
        "sub": claims.user_id,
        "typ": claims.token_type,
        "jti": claims.jti,
        "exp": claims.expires_at,
        "iat": datetime.now(UTC),
    }
    if claims.family:
        payload["fam"] = claims.family
    return jwt.encode(payload, secret_key, algorithm=ALGORITHM)


def decode(secret_key: str, token: str, expected: TokenType) -> TokenClaims:
    try:
        # Pinning the algorithm list refuses `alg: none` and algorithm confusion.
        payload = jwt.decode(
            token, secret_key, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "typ"]}
        )
    except jwt.ExpiredSignatureError:
        raise TokenInvalid("token expired") from None
    except jwt.PyJWTError:
        raise TokenInvalid("token invalid") from None
    if payload.get("typ") != expected:
        raise TokenInvalid(f"not an {expected} token" if expected == "access" else f"not a {expected} token")
    return TokenClaims(
        user_id=str(payload["sub"]),
        token_type=expected,
        jti=str(payload.get("jti", "")),
        family=payload.get("fam"),
        expires_at=datetime.fromtimestamp(payload["exp"], UTC),
    )
