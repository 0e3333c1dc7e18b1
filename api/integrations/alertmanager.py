"""POST /api/webhooks/alertmanager: Prometheus Alertmanager's webhook receiver (payload version 4).

Alertmanager cannot sign its requests, so the company's API key comes as bearer or basic credentials
(`http_config.authorization` / `basic_auth`) or as X-API-Key. Each alert of a notification becomes
one of our alerts; docs/integrations/alertmanager.md has the mapping.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.deps import ServicesDep
from api.permissions import public
from api.webhooks.acceptance import (
    MAX_MESSAGE,
    AlertPayload,
    AlertsAccepted,
    Delivery,
    accepted_answer,
    ignored_answer,
)
from api.webhooks.auth import key_from_authorization, take_rate
from api.webhooks.body import validated
from api.webhooks.openapi import WEBHOOK_ERRORS, json_body_of
from api.webhooks.preamble import Hmac, receive
from core.companies.integration_settings import AlertmanagerSettings
from workflows.types import AlertStatus, Severity

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])

PAYLOAD_VERSION = "4"
TOOL_SOURCE = "alertmanager"
FINGERPRINT_PREFIX = "am:"
# Labels Prometheus reserves (a leading "__") never reach Alertmanager, so ours cannot collide with them.
ANNOTATIONS_KEY = "__annotations__"
FALLBACK_ASSET_LABELS = ("instance", "job")
UNKNOWN_ASSET = "unknown"

SEVERITY_OF_LABEL: dict[str, Severity] = {
    **dict.fromkeys(("critical", "page", "emergency", "fatal", "disaster"), Severity.critical),
    **dict.fromkeys(("error", "high", "major"), Severity.high),
    **dict.fromkeys(("warning", "warn", "medium", "minor"), Severity.medium),
    **dict.fromkeys(("info", "information", "low", "none"), Severity.low),
}
# Missing, or a value we cannot place: worth a look, not worth a page.
DEFAULT_SEVERITY = Severity.medium

Labels = dict[str, str]


class AlertmanagerAlert(BaseModel):
    """One alert of a notification, as Alertmanager's webhook sends it."""

    model_config = ConfigDict(populate_by_name=True)

    status: AlertStatus
    labels: Labels
    annotations: Labels = Field(default_factory=dict)
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime | None = Field(default=None, alias="endsAt")
    generator_url: str = Field(default="", alias="generatorURL")
    fingerprint: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Alertmanager's hash of the alert's labels; derived the same way when absent",
    )


class AlertmanagerNotification(BaseModel):
    """Alertmanager's webhook payload, version 4: one notification for one group of alerts."""

    model_config = ConfigDict(populate_by_name=True)

    version: str = Field(description='must be "4"')
    group_key: str = Field(alias="groupKey")
    truncated_alerts: int = Field(default=0, ge=0, alias="truncatedAlerts")
    status: AlertStatus
    receiver: str
    group_labels: Labels = Field(default_factory=dict, alias="groupLabels")
    common_labels: Labels = Field(default_factory=dict, alias="commonLabels")
    common_annotations: Labels = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field(default="", alias="externalURL")
    alerts: list[AlertmanagerAlert]

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        if value != PAYLOAD_VERSION:
            raise ValueError(
                f"unsupported Alertmanager webhook payload version {value!r}: this endpoint reads "
                f'version "{PAYLOAD_VERSION}", what current Alertmanager releases send'
            )
        return value


def severity_of(value: str | None) -> Severity:
    if value is None:
        return DEFAULT_SEVERITY
    return SEVERITY_OF_LABEL.get(value.strip().lower(), DEFAULT_SEVERITY)


def asset_of(labels: Labels, settings: AlertmanagerSettings) -> str:
    for name in (settings.asset_label, *FALLBACK_ASSET_LABELS):
        if labels.get(name, "").strip():
            return labels[name]
    return UNKNOWN_ASSET


def signature_of(labels: Labels, settings: AlertmanagerSettings) -> str:
    for name in (settings.signature_label, "alertname"):
        if labels.get(name, "").strip():
            return labels[name]
    return "alert"


def message_of(alert: AlertmanagerAlert, signature: str, asset: str) -> str:
    parts = [alert.annotations.get(n, "").strip() for n in ("summary", "description")]
    message = "\n".join(p for p in parts if p) or f"{signature} on {asset}"
    return message[:MAX_MESSAGE]


def fingerprint_of(alert: AlertmanagerAlert) -> str:
    """Alertmanager's own when sent; otherwise a hash of the label set, which identifies a series too."""
    if alert.fingerprint:
        return alert.fingerprint
    canonical = "\x1f".join(f"{k}\x1e{v}" for k, v in sorted(alert.labels.items()))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def occurred_at_of(alert: AlertmanagerAlert) -> datetime:
    # Alertmanager sends the zero time ("0001-01-01T00:00:00Z") as endsAt of alerts that still fire.
    if alert.status == AlertStatus.resolved and alert.ends_at is not None and alert.ends_at.year > 1:
        return alert.ends_at
    return alert.starts_at


def delivery_of(
    alert: AlertmanagerAlert, settings: AlertmanagerSettings, where: tuple[str | int, ...]
) -> Delivery:
    asset = asset_of(alert.labels, settings)
    signature = signature_of(alert.labels, settings)
    fingerprint = FINGERPRINT_PREFIX + fingerprint_of(alert)
    labels: dict[str, Any] = dict(alert.labels)
    if alert.annotations:
        labels[ANNOTATIONS_KEY] = dict(alert.annotations)
    payload = validated(
        AlertPayload,
        {
            "asset_name": asset,
            "signature": signature,
            "severity": severity_of(alert.labels.get(settings.severity_label)),
            "message": message_of(alert, signature, asset),
            "tool_source": TOOL_SOURCE,
            "labels": labels,
            "occurred_at": occurred_at_of(alert),
            "status": alert.status,
            "fingerprint": fingerprint,
        },
        where,
    )
    # Alertmanager repeats a group's firing alerts in each later notification of that group (and on
    # repeat_interval); one firing episode of one series is one alert here, whatever it is resent with.
    delivery_id = f"{fingerprint}:{alert.starts_at.isoformat()}:{alert.status.value}"
    return Delivery(payload, delivery_id)


@router.post(
    "/alertmanager",
    response_model=AlertsAccepted,
    responses={
        202: {"model": AlertsAccepted, "description": "Stored; some alert's incident will be known shortly"},
        422: {"description": "Not an Alertmanager version 4 payload, or an alert we cannot store"},
        **WEBHOOK_ERRORS,
    },
    openapi_extra=json_body_of(AlertmanagerNotification),
)
@public
async def receive_alertmanager_notification(
    request: Request,
    services: ServicesDep,
    authorization: Annotated[
        str | None, Header(description="`Bearer <api key>`, or Basic with the API key as password")
    ] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    received = await receive(
        request,
        services,
        AlertmanagerNotification,
        api_key=x_api_key or key_from_authorization(authorization),
        how_to_send_key="set http_config.authorization (Bearer) or basic_auth password, or X-API-Key",
        hmac=Hmac.never,  # Alertmanager cannot sign; its key travels in the Authorization header
        alerts=None,  # one per alert in the notification, counted below
    )
    notification, credentials = received.payload, received.credentials
    settings = credentials.context.integrations.alertmanager
    deliveries = [
        delivery_of(alert, settings, ("body", "alerts", n)) for n, alert in enumerate(notification.alerts)
    ]
    take_rate(services, credentials.context.id, alerts=len(deliveries))
    if notification.truncated_alerts:
        log.warning(
            "alertmanager notification truncated",
            extra={"company_id": credentials.context.id, "truncated_alerts": notification.truncated_alerts},
        )
    if not deliveries:
        return ignored_answer("the notification carried no alerts")
    return await accepted_answer(services, credentials.context, deliveries)
