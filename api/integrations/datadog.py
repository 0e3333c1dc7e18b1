"""POST /api/webhooks/datadog: monitor notifications from Datadog's Webhooks integration.

Datadog fills the payload template documented in docs/integrations/datadog.md; every value arrives
as a string, empty when Datadog has nothing for it. Mapping and decisions are in that document.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

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
    MAX_DELIVERY_ID,
    checked_delivery_id,
    key_from_authorization,
)
from api.webhooks.body import unusable_field, validated
from api.webhooks.openapi import WEBHOOK_ERRORS, json_body_of
from api.webhooks.preamble import Hmac, receive
from workflows.types import AlertStatus, Severity

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])

TOOL = "datadog"
MAX_TAG_LABELS = MAX_LABELS - 10  # room for Datadog's own fields


def _text(value: Any) -> Any:
    """Datadog sends strings; a null, or a `$VARIABLE` Datadog left unfilled, counts as empty."""
    if value is None:
        return ""
    if isinstance(value, str) and re.fullmatch(r"\$[A-Z_]+", value.strip()):
        return ""
    return value


Text = Annotated[str, BeforeValidator(_text)]


class DatadogNotification(BaseModel):
    """The JSON our payload template makes Datadog send (keys we do not know are ignored)."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    alert_transition: Text = Field(description="$ALERT_TRANSITION: Triggered, Recovered, Warn, No Data, …")
    id: Text = Field("", description="$ID: the event's id, unique per notification")
    aggreg_key: Text = Field("", description="$AGGREG_KEY: shared by a monitor group's notices")
    alert_cycle_key: Text = Field("", description="$ALERT_CYCLE_KEY")
    alert_id: Text = Field("", description="$ALERT_ID: the monitor's id")
    alert_title: Text = Field("", description="$ALERT_TITLE, e.g. '[Triggered on {host:web-1}] CPU high'")
    event_title: Text = Field("", description="$EVENT_TITLE")
    alert_priority: Text = Field("", description="$ALERT_PRIORITY: P1 … P5")
    priority: Text = Field("", description="$PRIORITY")
    alert_type: Text = Field("", description="$ALERT_TYPE: error, warning, info, success")
    alert_scope: Text = Field("", description="$ALERT_SCOPE: the group's tags, e.g. 'host:web-1'")
    alert_status: Text = Field("", description="$ALERT_STATUS")
    alert_metric: Text = Field("", description="$ALERT_METRIC")
    hostname: Text = Field("", description="$HOSTNAME")
    tags: Text = Field("", description="$TAGS: comma-separated, 'key:value' or 'key'")
    event_type: Text = Field("", description="$EVENT_TYPE")
    event_msg: Text = Field("", description="$EVENT_MSG: the notification's text")
    date: Text = Field("", description="$DATE: epoch milliseconds")
    link: Text = Field("", description="$LINK: the event in Datadog")
    org_id: Text = Field("", description="$ORG_ID")


class Transition(Enum):
    firing = "firing"
    warning = "warning"  # firing, at most medium severity
    no_data = "no_data"  # firing, low severity
    recovered = "recovered"


TRANSITIONS = {
    "triggered": Transition.firing,
    "re-triggered": Transition.firing,
    "renotify": Transition.firing,
    "warn": Transition.warning,
    "re-warn": Transition.warning,
    "no data": Transition.no_data,
    "re-no data": Transition.no_data,
    "recovered": Transition.recovered,
}
PRIORITY_SEVERITY = {
    "P1": Severity.critical,
    "P2": Severity.high,
    "P3": Severity.medium,
    "P4": Severity.low,
    "P5": Severity.low,
}
ALERT_TYPE_SEVERITY = {
    "error": Severity.high,
    "warning": Severity.medium,
    "info": Severity.low,
    "success": Severity.low,
}
# Datadog puts the state (and the monitor's priority) in front of the title: "[P1] [Triggered on {host:a}] …".
# Without it, the Triggered and Recovered notices of one monitor name the same signature.
TITLE_PREFIX = re.compile(
    r"^\s*\[(?:P[1-5]|(?:Re-)?Triggered|Recovered|(?:Re-)?Warn|(?:Re-)?No Data|Renotify)(?: on [^\]]*)?\]\s*",
    re.IGNORECASE,
)


def monitor_title(title: str) -> str:
    previous = None
    while previous != title:
        previous, title = title, TITLE_PREFIX.sub("", title, count=1)
    return title.strip()


def severity_of(n: DatadogNotification, transition: Transition) -> Severity:
    if transition == Transition.no_data:
        return Severity.low
    severity = (
        PRIORITY_SEVERITY.get(n.alert_priority.strip().upper())
        or PRIORITY_SEVERITY.get(n.priority.strip().upper())
        or ALERT_TYPE_SEVERITY.get(n.alert_type.strip().lower())
        or Severity.medium
    )
    if transition == Transition.warning and severity.rank > Severity.medium.rank:
        return Severity.medium
    return severity


def tag_pairs(tags: str) -> list[tuple[str, str]]:
    pairs = []
    for tag in tags.split(","):
        key, _, value = tag.strip().partition(":")
        if key:
            pairs.append((key, value))
    return pairs


def labels_of(n: DatadogNotification, transition: str) -> dict[str, Any]:
    own = {
        "datadog_monitor_id": n.alert_id,
        "datadog_transition": transition,
        "datadog_alert_type": n.alert_type,
        "datadog_priority": n.alert_priority or n.priority,
        "datadog_link": n.link,
        "datadog_org_id": n.org_id,
    }
    return tool_labels(tag_pairs(n.tags), own, room=MAX_TAG_LABELS)


def asset_of(n: DatadogNotification) -> str:
    if n.hostname.strip():
        return n.hostname.strip()
    for source in (n.tags, n.alert_scope):
        host = next((value for key, value in tag_pairs(source) if key == "host" and value), None)
        if host:
            return host
    scope = n.alert_scope.strip()
    return scope if scope and scope != "*" else TOOL


def occurred_at(date: str) -> datetime | None:
    text = date.strip()
    if not text:
        return None
    if not text.isdecimal():
        raise unusable_field("date", "must be $DATE: epoch milliseconds")
    try:
        number = int(text)
        return datetime.fromtimestamp(number / 1000 if number >= 10**11 else number, UTC)
    except (OverflowError, OSError, ValueError):
        raise unusable_field("date", "is not a date Datadog could have sent") from None


def signature_of(n: DatadogNotification) -> str:
    title = monitor_title(n.alert_title) or monitor_title(n.event_title)
    if title:
        return title[:MAX_TEXT]
    if n.alert_id.strip():
        return f"Datadog monitor {n.alert_id.strip()}"[:MAX_TEXT]
    raise unusable_field("alert_title", "needs $ALERT_TITLE (or $ALERT_ID) to name the alert")


def alert_of(n: DatadogNotification) -> AlertPayload | str:
    """The alert a notification carries, or why it carries none."""
    transition_name = n.alert_transition.strip()
    transition = TRANSITIONS.get(transition_name.lower())
    if transition is None:
        shown = transition_name or "empty"
        return f"$ALERT_TRANSITION {shown!r} is not a state we page on"
    signature = signature_of(n)
    mapped = {
        "asset_name": asset_of(n)[:MAX_TEXT],
        "signature": signature,
        "severity": severity_of(n, transition),
        "message": (n.event_msg or n.alert_status or signature)[:MAX_MESSAGE],
        "tool_source": TOOL,
        "labels": labels_of(n, transition_name),
        "occurred_at": occurred_at(n.date),
        "status": AlertStatus.resolved if transition == Transition.recovered else AlertStatus.firing,
        "fingerprint": f"dd:{n.aggreg_key.strip()}"[:MAX_TEXT] if n.aggreg_key.strip() else None,
    }
    return validated(AlertPayload, mapped, ("body",))


def delivery_id_of(header: str | None, n: DatadogNotification, body: bytes) -> str:
    if header is not None:
        return checked_delivery_id(header)
    event_id = n.id.strip()
    if "\x00" in event_id:
        raise unusable_field("id", "must not contain NUL (\\u0000) characters")
    if event_id and len(event_id) + 3 <= MAX_DELIVERY_ID:
        return f"dd:{event_id}"
    # Datadog retries resend the same body, so its digest still makes a retry a duplicate.
    return f"dd:body:{hashlib.sha256(body).hexdigest()}"


@router.post(
    "/datadog",
    response_model=AlertsAccepted,
    responses={
        202: {"model": AlertsAccepted, "description": "Stored; its incident will be known shortly"},
        400: {"description": "Over-long X-Delivery-ID"},
        422: {"description": "Not JSON, or not the documented payload template"},
        **WEBHOOK_ERRORS,
    },
    openapi_extra=json_body_of(DatadogNotification),
)
@public
async def receive_datadog(
    request: Request,
    services: ServicesDep,
    x_api_key: Annotated[str | None, Header(description="A custom header in Datadog's webhook")] = None,
    api_key: Annotated[str | None, Query(description="Instead of X-API-Key")] = None,
    authorization: Annotated[str | None, Header(description="Bearer, or Basic with the key")] = None,
    x_signature: Annotated[str | None, Header(description="Required when the company says so")] = None,
    x_timestamp: Annotated[str | None, Header()] = None,
    x_delivery_id: Annotated[str | None, Header(description="Default: dd:<$ID>")] = None,
) -> JSONResponse:
    received = await receive(
        request,
        services,
        DatadogNotification,
        api_key=x_api_key or api_key or key_from_authorization(authorization),
        how_to_send_key="add the X-API-Key custom header to the Datadog webhook, or ?api_key= to its URL",
        # Datadog cannot sign; a relay in front of it can. A signature that is sent is always checked.
        hmac=lambda company: (
            Hmac.required if company.integrations.datadog.require_signature else Hmac.when_sent
        ),
        timestamp=x_timestamp,
        signature=x_signature,
    )
    notification, company = received.payload, received.company
    alert = alert_of(notification)
    if isinstance(alert, str):
        return ignored_answer(alert)
    delivery = Delivery(alert, delivery_id_of(x_delivery_id, notification, received.body))
    return await accepted_answer(services, company, [delivery])
