"""POST /api/webhooks/alerts: the generic, signed webhook, and the reference for any tool."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from api.deps import ServicesDep
from api.permissions import public
from api.webhooks.acceptance import AlertAccepted, AlertPayload, Delivery, accept
from api.webhooks.auth import checked_delivery_id, take_rate
from api.webhooks.openapi import WEBHOOK_ERRORS, json_body_of
from api.webhooks.preamble import receive

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


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
    received = await receive(
        request,
        services,
        AlertPayload,
        api_key=x_api_key or api_key,
        how_to_send_key="send X-API-Key or ?api_key=",
        timestamp=x_timestamp,
        signature=x_signature,
        alerts=None,
    )
    delivery_id = checked_delivery_id(x_delivery_id)
    take_rate(services, received.company.id)
    accepted = await accept(services, received.company, [Delivery(received.payload, delivery_id)])
    return JSONResponse(status_code=accepted.status_code, content=accepted.alerts[0].model_dump(mode="json"))
