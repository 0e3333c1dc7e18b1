"""POST /api/webhooks/alerts: the generic, signed webhook, and the reference for any tool."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.alert_acceptance import AlertAccepted, AlertPayload, Delivery, accept
from api.deps import ServicesDep
from api.permissions import public
from api.webhook_auth import check_signature, checked_delivery_id, company_for_key, take_rate
from api.webhook_body import parse_json, read_body_capped

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])

# Answers every webhook endpoint documents besides its own success and 422.
WEBHOOK_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "Unknown API key, or missing/wrong signature or timestamp"},
    413: {"description": "Body over 256 KiB"},
    429: {"description": "Company rate limit exceeded; see Retry-After"},
}


# Bodies that routes read raw (to check signatures) and so declare for OpenAPI themselves (api/app.py).
RAW_BODY_MODELS: dict[str, type[BaseModel]] = {}


def json_body_of(model: type[BaseModel]) -> dict[str, object]:
    """OpenAPI for a body the route reads itself, as `model` describes it."""
    RAW_BODY_MODELS[model.__name__] = model
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
        }
    }


@router.post(
    "/alerts",
    response_model=AlertAccepted,
    responses={
        202: {"model": AlertAccepted, "description": "Stored; its incident will be known shortly"},
        400: {"description": "Missing or over-long X-Delivery-ID"},
        422: {"description": "Malformed JSON or schema violation"},
        **WEBHOOK_ERRORS,
    },
    openapi_extra=json_body_of(AlertPayload),
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
    body = await read_body_capped(request, services.settings.webhook_max_body_bytes)
    credentials = await company_for_key(services, x_api_key or api_key, "send X-API-Key or ?api_key=")
    check_signature(services, credentials, timestamp=x_timestamp, signature=x_signature, body=body)
    delivery_id = checked_delivery_id(x_delivery_id)
    take_rate(services, credentials.context.id)
    payload = parse_json(AlertPayload, body)
    accepted = await accept(services, credentials.context, [Delivery(payload, delivery_id)])
    return JSONResponse(status_code=accepted.status_code, content=accepted.alerts[0].model_dump(mode="json"))
