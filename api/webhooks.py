"""POST /api/webhooks/alerts: authenticate, store durably, hand to the incident workflow, answer fast."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError, field_validator

from activities.alert_routing import RoutedAlert, RoutingFailed
from activities.db.models import new_id
from api.deps import ServicesDep
from api.permissions import public
from api.rate_limit import RateLimited
from api.webhook_signature import SignatureRejected, verify
from workflows.correlation import aggregation_key, series_fingerprint
from workflows.types import AlertRef, AlertStatus, Severity

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])

MAX_DELIVERY_ID = 200


class AlertPayload(BaseModel):
    asset_name: str = Field(min_length=1, max_length=255)
    signature: str = Field(min_length=1, max_length=255)
    severity: Severity
    message: str = Field(max_length=65_536)
    tool_source: str = Field(min_length=1, max_length=100)
    asset_id: str | None = Field(default=None, max_length=255)
    category: str | None = Field(default=None, max_length=100)
    labels: dict[str, Any] = Field(default_factory=dict, max_length=200)
    occurred_at: datetime | None = None
    status: AlertStatus = AlertStatus.firing

    @field_validator("asset_name", "signature", "tool_source")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("asset_name", "signature", "tool_source", "message", "asset_id", "category")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        # PostgreSQL text cannot hold U+0000.
        if value is not None and "\x00" in value:
            raise ValueError("must not contain NUL (\\u0000) characters")
        return value

    @field_validator("labels")
    @classmethod
    def _finite_numbers(cls, value: dict[str, Any]) -> dict[str, Any]:
        # The JSON parser accepts NaN and Infinity (and 1e999 overflows to inf); the database refuses them.
        pending: list[Any] = [value]
        while pending:
            item = pending.pop()
            if isinstance(item, float) and not math.isfinite(item):
                raise ValueError("numbers must be finite (no NaN, Infinity or overflowing exponents)")
            if isinstance(item, str) and "\x00" in item:
                raise ValueError("must not contain NUL (\\u0000) characters")
            if isinstance(item, dict):
                pending.extend(item.keys())
                pending.extend(item.values())
            elif isinstance(item, list):
                pending.extend(item)
        return value

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError:
            raise ValueError("is outside years 1 to 9999 once converted to UTC") from None


class AlertAccepted(BaseModel):
    alert_id: str
    incident_id: str | None
    duplicate: bool
    correlated: bool
    aggregation_key: str | None
    queued: bool = False
    disposition: str | None = None


async def read_body_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_payload(body: bytes) -> AlertPayload:
    try:
        return AlertPayload.model_validate_json(body)
    except ValidationError as err:
        errors = [
            {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]}
            for e in err.errors(include_url=False, include_context=False, include_input=False)
        ]
        raise HTTPException(422, errors) from None


@router.post(
    "/alerts",
    response_model=AlertAccepted,
    responses={
        202: {"model": AlertAccepted, "description": "Stored; its incident will be known shortly"},
        401: {"description": "Unknown API key, or missing/wrong signature or timestamp"},
        413: {"description": "Body over 256 KiB"},
        422: {"description": "Malformed JSON or schema violation"},
        429: {"description": "Company rate limit exceeded; see Retry-After"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AlertPayload"}}},
        }
    },
)
@public
async def receive_alert(
    request: Request,
    services: ServicesDep,
    x_api_key: Annotated[str | None, Header()] = None,
    api_key: Annotated[str | None, Query(description="For tools that can only set a URL")] = None,
    x_signature: Annotated[str | None, Header()] = None,
    x_timestamp: Annotated[str | None, Header()] = None,
    x_delivery_id: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    settings = services.settings
    body = await read_body_capped(request, settings.webhook_max_body_bytes)
    key = x_api_key or api_key
    if not key:
        raise HTTPException(401, "missing API key: send X-API-Key or ?api_key=")
    credentials = await services.directory.by_api_key(key)
    if credentials is None:
        raise HTTPException(401, "unknown API key")
    try:
        verify(
            secrets=credentials.hmac_secrets,
            timestamp=x_timestamp,
            signature=x_signature,
            body=body,
            now=time.time(),
            tolerance_s=settings.webhook_timestamp_tolerance_s,
        )
    except SignatureRejected as err:
        raise HTTPException(401, str(err)) from None
    if not x_delivery_id or not x_delivery_id.strip():
        raise HTTPException(400, "missing X-Delivery-ID header: a unique id per delivery makes retries safe")
    if len(x_delivery_id) > MAX_DELIVERY_ID:
        raise HTTPException(400, f"X-Delivery-ID is longer than {MAX_DELIVERY_ID} characters")
    company = credentials.context
    try:
        services.rate_limits.take(company.id)
    except RateLimited as err:
        raise HTTPException(
            429, str(err), headers={"Retry-After": str(max(1, round(err.retry_after_s + 0.5)))}
        ) from None
    payload = parse_payload(body)

    asset = payload.asset_id or payload.asset_name
    key_value = aggregation_key(company.policy.aggregation_key, asset=asset, signature=payload.signature)
    received_at = datetime.now(UTC)
    alert_id = new_id("al")
    fingerprint = series_fingerprint(asset=asset, signature=payload.signature)
    stored = await services.intake.store(
        {
            "id": alert_id,
            "company_id": company.id,
            "delivery_id": x_delivery_id,
            "asset_name": payload.asset_name,
            "asset_id": payload.asset_id,
            "signature": payload.signature,
            "severity": payload.severity.value,
            "message": payload.message,
            "tool_source": payload.tool_source,
            "category": payload.category,
            "labels": payload.labels,
            "status": payload.status.value,
            "fingerprint": fingerprint,
            "aggregation_key": key_value,
            "occurred_at": payload.occurred_at,
            "received_at": received_at,
        }
    )
    if stored.duplicate:
        return _answer(
            200,
            AlertAccepted(
                alert_id=stored.alert_id,
                incident_id=stored.incident_id,
                duplicate=True,
                correlated=False,
                aggregation_key=key_value,
            ),
        )

    ref = AlertRef(
        id=alert_id,
        received_at=received_at,
        severity=payload.severity,
        status=payload.status,
        tool_source=payload.tool_source,
        fingerprint=fingerprint,
        asset_name=payload.asset_name,
        asset_id=payload.asset_id,
        signature=payload.signature,
        category=payload.category,
        summary=payload.message[:200],
    )
    routed = services.dispatch.send(company, key_value, ref)
    try:
        result: RoutedAlert = await asyncio.wait_for(
            asyncio.shield(routed), settings.webhook_answer_timeout_s
        )
    except (TimeoutError, RoutingFailed):
        return _answer(
            202,
            AlertAccepted(
                alert_id=alert_id,
                incident_id=None,
                duplicate=False,
                correlated=False,
                aggregation_key=key_value,
                queued=True,
            ),
        )
    return _answer(
        200,
        AlertAccepted(
            alert_id=alert_id,
            incident_id=result.incident_id,
            duplicate=False,
            correlated=result.correlated,
            aggregation_key=key_value,
            disposition=result.disposition,
        ),
    )


def _answer(status: int, body: AlertAccepted) -> JSONResponse:
    return JSONResponse(status_code=status, content=body.model_dump(mode="json"))
