"""The raw alert stream with what became of each alert, and an operator's retry of those set aside as
undeliverable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import Principal, ServicesDep, SessionDep
from api.fields import NO_NUL, CompanyFilter, IsoDateTime
from api.permissions import CanReadIncidents, CanRetryAlerts
from api.tenancy import PathId, company_scope, owned_or_404
from core.alerts.stream import Disposition, InvalidCursor, StreamFilter, alert_page, disposition_of
from core.audit import record
from core.db.models import Alert
from core.errors import RoutingFailed
from core.ingest.undelivered import UNDELIVERABLE, alert_ref, release_for_retry

router = APIRouter(prefix="/api/alerts", tags=["alerts"])
NEXT_CURSOR = "X-Next-Cursor"


class AlertDelivery(BaseModel):
    id: str
    company_id: str
    asset_name: str
    asset_id: str | None = None
    signature: str
    severity: str
    status: str
    message: str = ""
    tool_source: str = ""
    fingerprint: str = Field("", description="the alert's series")
    received_at: datetime
    incident_id: str | None
    disposition: Disposition = Field(
        description="correlated (in its incident, the first of its series there), duplicate (its incident "
        "already had an alert of its series), suppressed (inside a maintenance window), no_open_incident (a "
        "recovery with no open incident), undeliverable (routing kept failing; `delivery_error` says why, "
        "POST …/retry routes it again) or unrouted (not in its incident yet; redelivery keeps trying)"
    )
    maintenance_window_id: str | None = None
    delivery_attempts: int
    delivery_error: str | None


class RetryAnswer(BaseModel):
    alert_id: str
    incident_id: str | None
    queued: bool = Field(description="handed over again; its incident is not known yet, and will be")
    disposition: str | None = Field(default=None, description="e.g. no_open_incident for a late recovery")


def to_delivery(alert: Alert, disposition: str) -> AlertDelivery:
    return AlertDelivery(**{**alert.model_dump(), "disposition": disposition})


@router.get(
    "",
    response_model=list[AlertDelivery],
    responses={
        200: {
            "headers": {
                NEXT_CURSOR: {
                    "description": "pass as `cursor` for the next page; absent on the last page",
                    "schema": {"type": "string"},
                }
            }
        }
    },
)
async def list_alerts(
    principal: CanReadIncidents,
    session: SessionDep,
    response: Response,
    company_id: CompanyFilter = None,
    disposition: Annotated[Disposition | None, Query(description="default: every alert")] = None,
    asset: Annotated[
        str | None, Query(max_length=255, pattern=NO_NUL, description="an asset's name or id")
    ] = None,
    start: Annotated[
        datetime | None, IsoDateTime, Query(alias="from", description="received at or after")
    ] = None,
    end: Annotated[datetime | None, IsoDateTime, Query(alias="to", description="received before")] = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AlertDelivery]:
    """Every stored alert, newest first, with its disposition; naive times are UTC. With `cursor` (the
    `X-Next-Cursor` header of the previous page), the page after it. Another tenant's `company_id`
    answers 404."""
    scope = await company_scope(session, principal, company_id)
    wanted = StreamFilter(scope, disposition, asset, _utc(start, "from"), _utc(end, "to"))
    try:
        page = await alert_page(session, wanted, limit, cursor)
    except InvalidCursor as err:
        raise RequestValidationError(
            [{"loc": ("query", "cursor"), "msg": str(err), "type": "value_error"}]
        ) from None
    if page.next_cursor:
        response.headers[NEXT_CURSOR] = page.next_cursor
    return [to_delivery(alert, shown) for alert, shown in page.alerts]


def _utc(moment: datetime | None, field: str) -> datetime | None:
    """Naive times are UTC; a time that leaves datetime's range once in UTC is a 422, not a 500."""
    if moment is None:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        error = {"loc": ("query", field), "msg": "out of range once in UTC", "type": "value_error"}
        raise RequestValidationError([error]) from None


async def scoped_alert(session: SessionDep, principal: Principal, alert_id: str) -> Alert:
    return await owned_or_404(session, principal, Alert, alert_id, "alert")


@router.get("/{alert_id}", response_model=AlertDelivery)
async def get_alert_delivery(
    alert_id: PathId, principal: CanReadIncidents, session: SessionDep
) -> AlertDelivery:
    alert = await scoped_alert(session, principal, alert_id)
    return to_delivery(alert, await disposition_of(session, alert.id))


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
