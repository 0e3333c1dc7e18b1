"""Accepting normalized alerts from any endpoint: store durably, route to incidents, answer fast.

Every webhook (the generic one and each tool's native one) maps its payload to `AlertPayload`s
and hands them here, so idempotency, the 2 s answer and nothing-lost behave the same for all.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator

from api.fields import without_bidi_controls
from core.companies.context import CompanyContext
from core.db.models import new_id
from core.errors import RoutingFailed
from core.ingest.routing import RoutedAlert
from core.maintenance.matcher import AlertTraits
from core.maintenance.windows import SUPPRESSED
from core.runtime import Services
from workflows.incident.correlation import aggregation_key, series_fingerprint
from workflows.types import AlertRef, AlertStatus, Severity

MAX_TEXT = 255  # asset, signature, fingerprint
MAX_MESSAGE = 65_536
MAX_LABELS = 200


class AlertPayload(BaseModel):
    asset_name: str = Field(min_length=1, max_length=MAX_TEXT)
    signature: str = Field(min_length=1, max_length=MAX_TEXT)
    severity: Severity
    message: str = Field(max_length=MAX_MESSAGE)
    tool_source: str = Field(min_length=1, max_length=100)
    asset_id: str | None = Field(default=None, max_length=255)
    category: str | None = Field(default=None, max_length=100)
    labels: dict[str, Any] = Field(default_factory=dict, max_length=MAX_LABELS)
    occurred_at: datetime | None = None
    status: AlertStatus = AlertStatus.firing
    fingerprint: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="the tool's id of this alert series; a `resolved` alert recovers the firing ones "
        "with the same fingerprint. Default: derived from asset and signature.",
    )

    @field_validator(
        "asset_name",
        "signature",
        "tool_source",
        "message",
        "asset_id",
        "category",
        "fingerprint",
        "labels",
        mode="before",
    )
    @classmethod
    def _no_bidi_controls(cls, value: Any) -> Any:
        return _without_bidi_controls(value)

    @field_validator("asset_name", "signature", "tool_source")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator(
        "asset_name", "signature", "tool_source", "message", "asset_id", "category", "fingerprint"
    )
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


def _without_bidi_controls(value: Any) -> Any:
    """Strings anywhere in `value` (labels nest), keys included, without bidirectional controls."""
    if isinstance(value, str):
        return without_bidi_controls(value)
    if isinstance(value, dict):
        return {_without_bidi_controls(k): _without_bidi_controls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_bidi_controls(item) for item in value]
    return value


class AlertAccepted(BaseModel):
    alert_id: str
    incident_id: str | None
    duplicate: bool
    correlated: bool
    aggregation_key: str | None
    fingerprint: str | None = Field(default=None, description="the alert series it belongs to")
    queued: bool = False
    disposition: str | None = None
    suppressed: bool = Field(
        default=False,
        description="it arrived inside a maintenance window: stored, but in no incident and paging no one",
    )
    maintenance_window_id: str | None = Field(default=None, description="the window that suppressed it")


class AlertsAccepted(BaseModel):
    """The answer of the native endpoints, which may carry several alerts (or none) per request."""

    alerts: list[AlertAccepted]
    ignored: str | None = Field(
        default=None,
        description="why the request carried no alert to accept (e.g. a state we do not page on)",
    )


@dataclass(frozen=True)
class Delivery:
    """One alert to accept, and the id that makes its redelivery a no-op for 24 h."""

    payload: AlertPayload
    delivery_id: str


@dataclass(frozen=True)
class Acceptance:
    status_code: int  # 202 when any alert's incident is not known yet
    alerts: list[AlertAccepted]


def tool_labels(tags: Iterable[tuple[str, str]], own: dict[str, str], room: int) -> dict[str, str]:
    """A tool's tags as labels (a repeated key keeps every value, comma-separated; at most `room`
    keys), plus the tool's own fields that are set."""
    labels: dict[str, str] = {}
    for key, value in tags:
        if key in labels:
            labels[key] = f"{labels[key]},{value}"  # e.g. team:a,team:b
        elif key and len(labels) < room:
            labels[key] = value
    labels.update({k: v for k, v in own.items() if v})
    return labels


def ignored_answer(reason: str) -> JSONResponse:
    """A native endpoint's 200 for a notice that carries nothing to page on."""
    return JSONResponse(AlertsAccepted(alerts=[], ignored=reason).model_dump(mode="json"))


async def accepted_answer(
    services: Services, company: CompanyContext, deliveries: list[Delivery]
) -> JSONResponse:
    """A native endpoint's answer: every alert accepted, 200, or 202 when one's incident is not known yet."""
    accepted = await accept(services, company, deliveries)
    answer = AlertsAccepted(alerts=accepted.alerts)
    return JSONResponse(status_code=accepted.status_code, content=answer.model_dump(mode="json"))


async def accept(services: Services, company: CompanyContext, deliveries: list[Delivery]) -> Acceptance:
    answers = await asyncio.gather(*(_accept_one(services, company, d) for d in deliveries))
    return Acceptance(202 if any(a.queued for a in answers) else 200, list(answers))


async def _accept_one(services: Services, company: CompanyContext, delivery: Delivery) -> AlertAccepted:
    payload = delivery.payload
    asset = payload.asset_id or payload.asset_name
    key_value = aggregation_key(company.policy.aggregation_key, asset=asset, signature=payload.signature)
    fingerprint = payload.fingerprint or series_fingerprint(asset=asset, signature=payload.signature)
    received_at = datetime.now(UTC)
    window_id = await _suppressing_window(services, company, payload, received_at)
    alert_id = new_id("al")
    stored = await services.intake.store(
        {
            "id": alert_id,
            "company_id": company.id,
            "delivery_id": delivery.delivery_id,
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
            # Set together: redelivery only picks up alerts with neither an incident nor a disposition.
            "disposition": SUPPRESSED if window_id else None,
            "maintenance_window_id": window_id,
        }
    )
    answer = AlertAccepted(
        alert_id=stored.alert_id,
        incident_id=stored.incident_id,
        duplicate=stored.duplicate,
        correlated=False,
        aggregation_key=key_value,
        fingerprint=fingerprint,
    )
    if stored.duplicate:
        # Answered as the first delivery was, whatever the windows say now.
        if stored.maintenance_window_id:
            return answer.model_copy(update=_suppression(stored.maintenance_window_id))
        if stored.incident_id is None and stored.disposition is None:
            # Stored, not in its incident yet: it will be, as the first answer (202) said.
            return answer.model_copy(update={"queued": True})
        return answer.model_copy(update={"disposition": stored.disposition})
    if window_id:
        return answer.model_copy(update=_suppression(window_id))

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
            asyncio.shield(routed), services.settings.webhook_answer_timeout_s
        )
    except (TimeoutError, RoutingFailed):
        return answer.model_copy(update={"queued": True})
    return answer.model_copy(
        update={
            "incident_id": result.incident_id,
            "correlated": result.correlated,
            "disposition": result.disposition,
        }
    )


async def _suppressing_window(
    services: Services, company: CompanyContext, payload: AlertPayload, received_at: datetime
) -> str | None:
    """The maintenance window that keeps this alert from opening an incident, if any.

    Only firing alerts are suppressed. A recovery pages no one, and it must still reach the incident
    opened before the window for the same series, or that incident would stay open although the tool
    says all is well. Windows are judged at arrival, not at the tool's `occurred_at`: the tool's clock
    is not ours, and a late alert about the past is still news now.
    """
    if payload.status is not AlertStatus.firing:
        return None
    traits = AlertTraits(payload.asset_name, payload.signature, payload.asset_id, payload.labels)
    return await services.maintenance.suppressing(company.id, traits, received_at)


def _suppression(window_id: str | None) -> dict[str, Any]:
    if window_id is None:
        return {}
    return {"suppressed": True, "maintenance_window_id": window_id, "disposition": SUPPRESSED}
