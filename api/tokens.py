"""JWT access and refresh tokens (PyJWT, HS256), both naming the session (`sid`) they belong to."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt

ALGORITHM = "HS256"
TokenType = Literal["access", "refresh"]
REQUIRED_CLAIMS = ["exp", "iat", "sub", "typ", "sid", "jti"]


class TokenInvalid(Exception):
    pass


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    token_type: TokenType
    session_id: str
    jti: str
    expires_at: datetime


def issue(user_id: str, token_type: TokenType, session_id: str, ttl: timedelta) -> TokenClaims:
    return TokenClaims(user_id, token_type, session_id, secrets.token_hex(16), datetime.now(UTC) + ttl)


def encode(secret_key: str, claims: TokenClaims) -> str:
    payload = {
        "sub": claims.user_id,
        "typ": claims.token_type,
        "sid": claims.session_id,
        "jti": claims.jti,
        "exp": claims.expires_at,
        "iat": datetime.now(UTC),
    }
    return jwt.encode(payload, secret_key, algorithm=ALGORITHM)


def decode(secret_key: str, token: str, expected: TokenType) -> TokenClaims:
    try:
        # Pinning the algorithm list refuses `alg: none` and algorithm confusion.
        payload = jwt.decode(token, secret_key, algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS})
    except jwt.ExpiredSignatureError:
        raise TokenInvalid("token expired") from None
    except jwt.PyJWTError:
        raise TokenInvalid("token invalid") from None
    if payload["typ"] != expected:
        raise TokenInvalid(f"not an {expected} token" if expected == "access" else f"not a {expected} token")
    return TokenClaims(
        user_id=str(payload["sub"]),
        token_type=expected,
        session_id=str(payload["sid"]),
        jti=str(payload["jti"]),
        expires_at=datetime.fromtimestamp(payload["exp"], UTC),
    )
