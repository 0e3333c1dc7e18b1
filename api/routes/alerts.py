"""Alerts that reached no incident, why, and an operator's retry of those set aside as undeliverable."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import col, select

from api.deps import Principal, ServicesDep, SessionDep
from api.fields import NO_NUL
from api.permissions import CanReadIncidents, CanRetryAlerts
from api.tenancy import PathId, owned_or_404, scoped
from core.audit import record
from core.db.models import Alert
from core.errors import RoutingFailed
from core.ingest.undelivered import UNDELIVERABLE, alert_ref, release_for_retry

router = APIRouter(prefix="/api/alerts", tags=["alerts"])


class AlertDelivery(BaseModel):
    id: str
    company_id: str
    asset_name: str
    signature: str
    severity: str
    status: str
    received_at: datetime
    incident_id: str | None
    disposition: str | None = Field(
        description="why it is in no incident on purpose: suppressed, no_open_incident, or undeliverable "
        "(routing kept failing; `delivery_error` says why, POST …/retry routes it again)"
    )
    delivery_attempts: int
    delivery_error: str | None


class RetryAnswer(BaseModel):
    alert_id: str
    incident_id: str | None
    queued: bool = Field(description="handed over again; its incident is not known yet, and will be")
    disposition: str | None = Field(default=None, description="e.g. no_open_incident for a late recovery")


def to_delivery(alert: Alert) -> AlertDelivery:
    return AlertDelivery(**alert.model_dump())


@router.get("", response_model=list[AlertDelivery])
async def list_undelivered_alerts(
    principal: CanReadIncidents,
    session: SessionDep,
    company_id: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    disposition: Annotated[str, Query(max_length=40, pattern=NO_NUL)] = UNDELIVERABLE,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AlertDelivery]:
    """Alerts in no incident with this disposition (default: undeliverable), newest first."""
    query = scoped(select(Alert), Alert.company_id, principal).where(Alert.disposition == disposition)
    if company_id:
        query = query.where(Alert.company_id == company_id)
    rows = await session.execute(query.order_by(col(Alert.received_at).desc()).limit(limit))
    return [to_delivery(a) for a in rows.scalars()]


async def scoped_alert(session: SessionDep, principal: Principal, alert_id: str) -> Alert:
    return await owned_or_404(session, principal, Alert, alert_id, "alert")


@router.get("/{alert_id}", response_model=AlertDelivery)
async def get_alert_delivery(
    alert_id: PathId, principal: CanReadIncidents, session: SessionDep
) -> AlertDelivery:
    return to_delivery(await scoped_alert(session, principal, alert_id))


@router.post(
    "/{alert_id}/retry",
    response_model=RetryAnswer,
    status_code=202,
    responses={
        200: {"description": "routed: its incident is known", "model": RetryAnswer},
        409: {"description": "the alert is not undeliverable (in an incident, or in none on purpose)"},
    },
)
async def retry_alert(
    alert_id: PathId, principal: CanRetryAlerts, session: SessionDep, services: ServicesDep
) -> JSONResponse:
    """Routes an undeliverable alert again, with a fresh count of attempts; redelivery keeps trying it."""
    alert = await scoped_alert(session, principal, alert_id)
    company_id, key, error, incident_id, disposition = (
        alert.company_id,
        alert.aggregation_key,
        alert.delivery_error,
        alert.incident_id,
        alert.disposition,
    )
    try:
        ref = alert_ref(alert)
    except ValueError:
        ref = None  # redelivery tries it, and sets it aside again with the reason
    if not await release_for_retry(session, alert_id):
        state = f"in incident {incident_id}" if incident_id else f"disposition {disposition}"
        raise HTTPException(409, f"alert {alert_id} is not undeliverable ({state}); nothing to retry")
    await record(
        session,
        actor=principal.user.id,
        action="alert.retry",
        company_id=company_id,
        object_type="alert",
        object_id=alert_id,
        before={"disposition": UNDELIVERABLE, "delivery_error": error},
    )
    await session.commit()
    answer = RetryAnswer(alert_id=alert_id, incident_id=None, queued=True)
    company = await services.directory.by_id(company_id)
    if company is not None and ref is not None:
        routed = services.dispatch.send(company, key, ref)
        try:
            result = await asyncio.wait_for(
                asyncio.shield(routed), services.settings.webhook_answer_timeout_s
            )
        except (TimeoutError, RoutingFailed):
            pass
        else:
            answer = RetryAnswer(
                alert_id=alert_id,
                incident_id=result.incident_id,
                queued=False,
                disposition=result.disposition,
            )
    return JSONResponse(status_code=202 if answer.queued else 200, content=answer.model_dump(mode="json"))
