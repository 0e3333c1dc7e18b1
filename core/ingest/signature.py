"""Verifies a webhook's `X-Signature` in either of its two forms.

- `sha256=<hex HMAC-SHA256(secret, "<X-Timestamp>.<raw body>")>`: it does not cover the delivery id,
  so the caller must make it single-use (core/ingest/replay.py).
- `v2=<hex HMAC-SHA256(secret, "v2\\n<X-Timestamp>\\n<X-Delivery-ID>\\n<raw body>")>`: it covers the
  delivery id, so a replay can only repeat a delivery id, which answers as a duplicate. The leading
  "v2" keeps the two forms apart (a timestamp is digits only), and a header value cannot hold a
  newline, so no other split of the same bytes verifies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.security import constant_time_equal, hmac_sha256_hex

# ASCII digits only: int() would also take signs, underscores, spaces and other scripts' digits, and a
# few hundred digits overflow the float comparison with the clock.
TIMESTAMP = re.compile(r"[0-9]{1,12}")
V1_PREFIX = "sha256="
V2_PREFIX = "v2="


class SignatureRejected(Exception):
    """Why a webhook's signature did not verify, in words the sender can act on."""


@dataclass(frozen=True)
class VerifiedSignature:
    sent_at: int  # X-Timestamp, unix seconds
    covers_delivery_id: bool
    value: str  # the X-Signature header as sent


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return V1_PREFIX + hmac_sha256_hex(secret, timestamp.encode() + b"." + body)


def sign_with_delivery_id(secret: str, timestamp: str, delivery_id: str, body: bytes) -> str:
    signed = b"v2\n" + timestamp.encode() + b"\n" + delivery_id.encode() + b"\n" + body
    return V2_PREFIX + hmac_sha256_hex(secret, signed)


def verify(
    *,
    secrets: list[str],
    timestamp: str | None,
    signature: str | None,
    delivery_id: str | None,
    body: bytes,
    now: float,
    tolerance_s: int,
    future_skew_s: int,
) -> VerifiedSignature:
    """`tolerance_s`: how old a timestamp may be; `future_skew_s`: how far ahead of our clock."""
    if not timestamp:
        raise SignatureRejected("missing X-Timestamp header (unix seconds)")
    if not signature:
        raise SignatureRejected(
            "missing X-Signature header (sha256=<hex HMAC-SHA256 of '<timestamp>.<body>'>)"
        )
    if not TIMESTAMP.fullmatch(timestamp):
        raise SignatureRejected("X-Timestamp must be unix seconds")
    sent_at, clock = int(timestamp), int(now)
    if clock - sent_at > tolerance_s:
        raise SignatureRejected(
            f"X-Timestamp is more than {tolerance_s} s from the server's clock; check NTP"
        )
    if sent_at - clock > future_skew_s:
        raise SignatureRejected(
            f"X-Timestamp is more than {future_skew_s} s ahead of the server's clock; check NTP"
        )
    if signature.startswith(V2_PREFIX):
        if delivery_id is None:
            raise SignatureRejected("a v2= signature covers X-Delivery-ID; send that header")
        expected = [sign_with_delivery_id(s, timestamp, delivery_id, body) for s in secrets]
    elif signature.startswith(V1_PREFIX):
        expected = [sign(s, timestamp, body) for s in secrets]
    else:
        raise SignatureRejected("X-Signature must start with 'sha256=' or 'v2='")
    # Every candidate is checked, so timing does not reveal which secret (old or new) matched.
    matches = [constant_time_equal(candidate, signature) for candidate in expected]
    if not any(matches):
        raise SignatureRejected(
            "X-Signature does not match the body; sign '<X-Timestamp>.<raw body>' "
            "(or, for v2=, 'v2\\n<X-Timestamp>\\n<X-Delivery-ID>\\n<raw body>')"
        )
    return VerifiedSignature(sent_at, signature.startswith(V2_PREFIX), signature)
