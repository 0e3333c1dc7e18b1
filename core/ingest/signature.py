"""Verifies `X-Signature: sha256=<hex HMAC-SHA256(secret, f"{X-Timestamp}.{raw body}")>`."""

from __future__ import annotations

from core.security import constant_time_equal, hmac_sha256_hex


class SignatureRejected(Exception):
    """Why a webhook's signature did not verify, in words the sender can act on."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac_sha256_hex(secret, timestamp.encode() + b"." + body)


def verify(
    *,
    secrets: list[str],
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
    tolerance_s: int,
) -> None:
    if not timestamp:
        raise SignatureRejected("missing X-Timestamp header (unix seconds)")
    if not signature:
        raise SignatureRejected(
            "missing X-Signature header (sha256=<hex HMAC-SHA256 of '<timestamp>.<body>'>)"
        )
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureRejected("X-Timestamp must be unix seconds") from None
    if abs(now - sent_at) > tolerance_s:
        raise SignatureRejected(
            f"X-Timestamp is more than {tolerance_s} s from the server's clock; check NTP"
        )
    if not signature.startswith("sha256="):
        raise SignatureRejected("X-Signature must start with 'sha256='")
    # Every candidate is checked, so timing does not reveal which secret (old or new) matched.
    matches = [constant_time_equal(sign(secret, timestamp, body), signature) for secret in secrets]
    if not any(matches):
        raise SignatureRejected("X-Signature does not match the body; sign '<X-Timestamp>.<raw body>'")
