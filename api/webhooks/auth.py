"""Who sent a webhook: API key (header, query, bearer or basic auth), HMAC signature, rate limit."""

from __future__ import annotations

import base64
import binascii
import time
from datetime import UTC, datetime

from fastapi import HTTPException

from core.companies.directory import CompanyCredentials
from core.ingest.rate_limit import RateLimited
from core.ingest.replay import SignatureUse
from core.ingest.signature import SignatureRejected, VerifiedSignature, verify
from core.runtime import Services

MAX_DELIVERY_ID = 200


def key_from_authorization(authorization: str | None) -> str | None:
    """`Bearer <api key>`, or basic auth whose password is the API key (the user name is ignored)."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise HTTPException(401, "Authorization: Basic is not base64 of 'user:api_key'") from None
        _, sep, password = decoded.partition(":")
        if sep and password:
            return password
        raise HTTPException(401, "Authorization: Basic must carry the API key as the password")
    raise HTTPException(401, "Authorization must be 'Bearer <api key>' or Basic with the API key as password")


async def company_for_key(services: Services, key: str | None, how: str) -> CompanyCredentials:
    if not key:
        raise HTTPException(401, f"missing API key: {how}")
    credentials = await services.directory.by_api_key(key)
    if credentials is None:
        raise HTTPException(401, "unknown API key")
    return credentials


def check_signature(
    services: Services,
    credentials: CompanyCredentials,
    *,
    timestamp: str | None,
    signature: str | None,
    delivery_id: str | None,
    body: bytes,
) -> VerifiedSignature:
    settings = services.settings
    try:
        return verify(
            secrets=credentials.hmac_secrets,
            timestamp=timestamp,
            signature=signature,
            delivery_id=delivery_id,
            body=body,
            now=time.time(),
            tolerance_s=settings.webhook_timestamp_tolerance_s,
            future_skew_s=settings.webhook_future_skew_s,
        )
    except SignatureRejected as err:
        raise HTTPException(401, str(err)) from None


async def spend_signature(
    services: Services, company_id: str, verified: VerifiedSignature, delivery_id: str | None
) -> None:
    """A signature that does not cover the delivery id is good for the delivery id it first came with."""
    if verified.covers_delivery_id:
        return  # a replay repeats its delivery id, and answers as a duplicate
    expires = verified.sent_at + services.settings.webhook_timestamp_tolerance_s + 1
    use = SignatureUse(company_id, verified.value, delivery_id, datetime.fromtimestamp(expires, UTC))
    if not await services.used_signatures.claim(use):
        raise HTTPException(
            401,
            "X-Signature was already used by another delivery: sign every delivery anew (a retry "
            "keeps its X-Delivery-ID), or sign with v2= to cover the delivery id",
        )


def checked_delivery_id(delivery_id: str | None) -> str:
    if not delivery_id or not delivery_id.strip():
        raise HTTPException(400, "missing X-Delivery-ID header: a unique id per delivery makes retries safe")
    if len(delivery_id) > MAX_DELIVERY_ID:
        raise HTTPException(400, f"X-Delivery-ID is longer than {MAX_DELIVERY_ID} characters")
    return delivery_id


def take_rate(services: Services, company_id: str, alerts: int = 1) -> None:
    try:
        services.rate_limits.take(company_id, alerts)
    except RateLimited as err:
        raise HTTPException(
            429, str(err), headers={"Retry-After": str(max(1, round(err.retry_after_s + 0.5)))}
        ) from None
