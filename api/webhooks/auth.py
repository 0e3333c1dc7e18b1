"""Who sent a webhook: API key (header, query, bearer or basic auth), HMAC signature, rate limit."""

from __future__ import annotations

import base64
import binascii
import time

from fastapi import HTTPException

from core.companies.directory import CompanyCredentials
from core.ingest.rate_limit import RateLimited
from core.ingest.signature import SignatureRejected, verify
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
    body: bytes,
) -> None:
    try:
        verify(
            secrets=credentials.hmac_secrets,
            timestamp=timestamp,
            signature=signature,
            body=body,
            now=time.time(),
            tolerance_s=services.settings.webhook_timestamp_tolerance_s,
        )
    except SignatureRejected as err:
        raise HTTPException(401, str(err)) from None


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
