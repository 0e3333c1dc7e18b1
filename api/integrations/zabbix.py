"""POST /api/webhooks/zabbix: problem and recovery events from our Zabbix webhook media type.

The media type (docs/integrations/zabbix_mediatype.yaml) builds the body below from Zabbix macros and
signs it like the generic webhook; mapping and decisions are in docs/integrations/zabbix.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ServicesDep
from api.permissions import public
from api.webhooks.acceptance import (
    MAX_LABELS,
    MAX_MESSAGE,
    MAX_TEXT,
    AlertPayload,
    AlertsAccepted,
    Delivery,
    accepted_answer,
    ignored_answer,
    tool_labels,
)
from api.webhooks.auth import (
    checked_delivery_id,
    key_from_authorization,
)
from api.webhooks.body import unusable_field, validated
from api.webhooks.openapi import WEBHOOK_ERRORS, json_body_of
from api.webhooks.preamble import receive
from workflows.types import AlertStatus, Severity

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])

TOOL = "zabbix"
MAX_TAG_LABELS = MAX_LABELS - 10  # room for Zabbix's own fields
TRIGGER_EVENTS = "0"  # {EVENT.SOURCE}: 0 triggers, 1 discovery, 2 autoregistration, 3 internal, 4 services

# Zabbix's six severities, by number ({EVENT.NSEVERITY}) and by default name ({EVENT.SEVERITY}).
SEVERITY_BY_LEVEL = {
    0: Severity.low,  # Not classified
    1: Severity.low,  # Information
    2: Severity.medium,  # Warning
    3: Severity.medium,  # Average
    4: Severity.high,  # High
    5: Severity.critical,  # Disaster
}
LEVEL_BY_NAME = {"not classified": 0, "information": 1, "warning": 2, "average": 3, "high": 4, "disaster": 5}


class ZabbixTag(BaseModel):
    """One entry of {EVENT.TAGSJSON}."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    tag: str
    value: str = ""


class ZabbixEvent(BaseModel):
    """The JSON our media type's script sends for one event."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    event_id: str = Field(min_length=1, description="{EVENT.ID}: the problem event, also in its recovery")
    event_value: str = Field(description="{EVENT.VALUE}: 1 problem, 0 recovery")
    event_update_status: str = Field("0", description="{EVENT.UPDATE.STATUS}: 1 for an update")
    event_source: str = Field(TRIGGER_EVENTS, description="{EVENT.SOURCE}: 0 for trigger events")
    recovery_event_id: str = Field("", description="{EVENT.RECOVERY.ID}")
    severity: str = Field(description="{EVENT.NSEVERITY} (0-5) or {EVENT.SEVERITY} (its name)")
    host_name: str = Field("", description="{HOST.NAME}: the host's visible name")
    host_host: str = Field("", description="{HOST.HOST}: the host's technical name")
    trigger_id: str = Field("", description="{TRIGGER.ID}")
    trigger_name: str = Field("", description="{TRIGGER.NAME}")
    event_name: str = Field("", description="{EVENT.NAME}")
    tags: list[ZabbixTag] = Field(default_factory=list, max_length=1000, description="{EVENT.TAGSJSON}")
    occurred_at: datetime | None = Field(None, description="when the problem (or recovery) happened")
    message: str = Field("", description="{ALERT.MESSAGE}")


def severity_of(event: ZabbixEvent) -> Severity:
    text = event.severity.strip()
    level = int(text) if text.isdecimal() and len(text) < 3 else LEVEL_BY_NAME.get(text.lower())
    if level not in SEVERITY_BY_LEVEL:
        raise unusable_field(
            "severity",
            "must be a Zabbix severity: 0-5, or its name "
            "(Not classified, Information, Warning, Average, High, Disaster)",
        )
    return SEVERITY_BY_LEVEL[level]


def status_of(event: ZabbixEvent) -> AlertStatus:
    value = event.event_value.strip()
    if value == "1":
        return AlertStatus.firing
    if value == "0":
        return AlertStatus.resolved
    raise unusable_field("event_value", "must be {EVENT.VALUE}: 1 for a problem, 0 for a recovery")


def labels_of(event: ZabbixEvent) -> dict[str, Any]:
    own = {
        "zabbix_event_id": event.event_id,
        "zabbix_recovery_event_id": event.recovery_event_id,
        "zabbix_trigger_id": event.trigger_id,
        "zabbix_severity": event.severity,
    }
    return tool_labels(((t.tag, t.value) for t in event.tags), own, room=MAX_TAG_LABELS)


def alert_of(event: ZabbixEvent) -> AlertPayload | str:
    """The alert an event carries, or why it carries none."""
    if event.event_update_status.strip() == "1":
        return "update events (acknowledgements, comments, severity changes) do not page"
    if event.event_source.strip() not in ("", TRIGGER_EVENTS):
        return f"events of source {event.event_source.strip()!r} are not trigger events; only those page"
    status = status_of(event)
    asset_name = (event.host_name.strip() or event.host_host.strip())[:MAX_TEXT]
    if not asset_name:
        raise unusable_field("host_name", "needs {HOST.NAME} or {HOST.HOST} to name the host")
    signature = (event.trigger_name.strip() or event.event_name.strip())[:MAX_TEXT]
    if not signature:
        raise unusable_field("trigger_name", "needs {TRIGGER.NAME} or {EVENT.NAME} to name the problem")
    # One series per trigger: its problems and recoveries, however often it fires.
    series = f"zbx:{event.trigger_id.strip()}" if event.trigger_id.strip() else f"zbx:event:{event.event_id}"
    mapped = {
        "asset_name": asset_name,
        "asset_id": event.host_host.strip()[:MAX_TEXT] or None,
        "signature": signature,
        "severity": severity_of(event),
        "message": (event.message.strip() or event.event_name.strip() or signature)[:MAX_MESSAGE],
        "tool_source": TOOL,
        "labels": labels_of(event),
        "occurred_at": event.occurred_at,
        "status": status,
        "fingerprint": series[:MAX_TEXT],
    }
    return validated(AlertPayload, mapped, ("body",))


@router.post(
    "/zabbix",
    response_model=AlertsAccepted,
    responses={
        202: {"model": AlertsAccepted, "description": "Stored; its incident will be known shortly"},
        400: {"description": "Over-long X-Delivery-ID"},
        422: {"description": "Not JSON, or not what the media type sends"},
        **WEBHOOK_ERRORS,
    },
    openapi_extra=json_body_of(ZabbixEvent),
)
@public
async def receive_zabbix(
    request: Request,
    services: ServicesDep,
    x_api_key: Annotated[str | None, Header()] = None,
    api_key: Annotated[str | None, Query(description="Instead of X-API-Key")] = None,
    authorization: Annotated[str | None, Header(description="Bearer, or Basic with the key")] = None,
    x_signature: Annotated[str | None, Header()] = None,
    x_timestamp: Annotated[str | None, Header()] = None,
    x_delivery_id: Annotated[str | None, Header(description="Default: zabbix:<event id>:<value>")] = None,
) -> JSONResponse:
    received = await receive(
        request,
        services,
        ZabbixEvent,
        api_key=x_api_key or api_key or key_from_authorization(authorization),
        how_to_send_key="set the media type's api_key parameter (sent as X-API-Key)",
        timestamp=x_timestamp,
        signature=x_signature,
    )
    event = received.payload
    alert = alert_of(event)
    if isinstance(alert, str):
        return ignored_answer(alert)
    delivery_id = checked_delivery_id(
        x_delivery_id if x_delivery_id is not None else f"zabbix:{event.event_id}:{event.event_value}"
    )
    return await accepted_answer(services, received.company, [Delivery(alert, delivery_id)])
