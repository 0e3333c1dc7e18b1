"""Incidents as projected from their workflows, scoped to the caller's companies."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy import and_, exists, func, or_
from sqlmodel import col, select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import Principal, ServicesDep, SessionDep
from api.fields import IsoDateTime, NoNul
from api.permissions import CanActOnIncidents, CanReadIncidents
from api.tenancy import ScopedIncident, incident_or_404, scoped
from core.audit import record
from core.db.models import Alert, Incident
from core.incidents.timeline import TimelineEntry, add_note, timeline
from workflows.incident.workflow import IncidentWorkflow
from workflows.remediation.types import Decision, Remediation
from workflows.types import OPEN_STATUSES, IncidentStatus, ResolveIncident, Severity, SlaState

router = APIRouter(prefix="/api/incidents", tags=["incidents"])


class IncidentPublic(BaseModel):
    id: str
    company_id: str
    title: str
    status: str
    severity: str
    priority_score: int
    alert_count: int
    recovery_count: int
    tool_sources: list[str]
    recovered_series: list[str]
    signature: str
    asset_name: str
    asset_id: str | None
    category: str | None
    assigned_to: str | None
    aggregation_key: str
    workflow_id: str
    created_at: datetime
    updated_at: datetime
    last_alert_at: datetime | None
    resolution: str | None = Field(
        description="auto_resolved, confirmed, resolved_manually, auto_remediated or already_healthy"
    )
    resolved_at: datetime | None
    resolved_by: str | None
    awaiting_confirmation: bool = Field(description="every series recovered; a technician must confirm")
    flapping_series: list[str]
    decision: Decision | None = Field(None, description="the latest decision: what to do and why")
    remediation: Remediation | None = Field(
        None, description="the current or last runbook run: approval, status, steps and their output"
    )
    sla: SlaView | None = Field(None, description="response and resolution deadlines; none before it is new")
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    escalated: bool = False
    escalation_level: int = Field(0, description="0: not escalated; 1, 2, …: the chain's level reached")


class SlaView(BaseModel):
    response_deadline: datetime | None = Field(None, description="while the response clock runs")
    resolution_deadline: datetime | None = Field(None, description="while the resolution clock runs")
    response_breached: bool = False
    resolution_breached: bool = False
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    paused: bool = False
    pause_reason: str = ""
    clocks: SlaState = Field(description="the clocks in full: targets, working time used, warnings sent")


def sla_view(stored: dict[str, Any] | None, closed: bool = False) -> SlaView | None:
    """The clocks as stored; on a closed incident, a clock never met counts down no more. The workflow
    leaves such a clock as it was (it simply stops looking at it), so the view says it stopped."""
    if not stored:
        return None
    state = SlaState.model_validate(stored)
    if closed:
        for clock in (state.response, state.resolution):
            if clock is not None and clock.met_at is None:
                clock.running, clock.deadline = False, None
    response, resolution = state.response, state.resolution
    return SlaView(
        response_deadline=response.deadline if response else None,
        resolution_deadline=resolution.deadline if resolution else None,
        response_breached=bool(response and response.breached),
        resolution_breached=bool(resolution and resolution.breached),
        responded_at=response.met_at if response else None,
        resolved_at=resolution.met_at if resolution else None,
        paused=state.paused,
        pause_reason=state.pause_reason,
        clocks=state,
    )


class IncidentPage(BaseModel):
    items: list[IncidentPublic]
    total: int
    limit: int
    offset: int
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; none at the end")


class AlertPublic(BaseModel):
    id: str
    asset_name: str
    asset_id: str | None
    signature: str
    severity: str
    status: str
    message: str
    tool_source: str
    category: str | None
    fingerprint: str
    aggregation_key: str
    received_at: datetime
    occurred_at: datetime | None


class IncidentDetail(IncidentPublic):
    alerts: list[AlertPublic]
    temporal_ui_url: str


def to_public(incident: Incident) -> IncidentPublic:
    fields = incident.model_dump()
    fields["sla"] = sla_view(incident.sla, closed=incident.status not in OPEN_STATUSES)
    return IncidentPublic(**fields, workflow_id=incident.id)


IncidentSort = Literal["priority", "created", "updated"]
_SORT_FIELDS = {
    "priority": "priority_score",
    "created": "created_at",
    "updated": "updated_at",
}


@router.get("", response_model=IncidentPage)
async def list_incidents(
    principal: CanReadIncidents,
    session: SessionDep,
    company_id: str | None = None,
    status: IncidentStatus | None = None,
    severity: Severity | None = None,
    assignee: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="text in asset, signature or an alert")
    ] = None,
    created_from: Annotated[datetime | None, IsoDateTime] = None,
    created_to: Annotated[datetime | None, IsoDateTime] = None,
    sort: IncidentSort = "updated",
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> IncidentPage:
    """Newest (or highest priority) first. With `cursor`, the page after the one that returned it
    (stable while incidents change); `offset` is for the first pages only."""
    query = scoped(select(Incident), Incident.company_id, principal)
    if company_id:
        query = query.where(Incident.company_id == company_id)
    if status:
        query = query.where(Incident.status == status.value)
    else:
        query = query.where(Incident.status != IncidentStatus.pending.value)  # not surfaced until min_alerts
    if severity:
        query = query.where(Incident.severity == severity.value)
    if assignee:
        query = query.where(Incident.assigned_to == assignee)
    if created_from:
        query = query.where(col(Incident.created_at) >= created_from)
    if created_to:
        query = query.where(col(Incident.created_at) < created_to)
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        in_alerts = exists().where(
            col(Alert.incident_id) == col(Incident.id),
            col(Alert.company_id) == col(Incident.company_id),
            func.lower(col(Alert.message)).like(pattern, escape="\\"),
        )
        query = query.where(
            or_(
                func.lower(col(Incident.asset_name)).like(pattern, escape="\\"),
                func.lower(col(Incident.signature)).like(pattern, escape="\\"),
                in_alerts,
            )
        )
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    column = col(getattr(Incident, _SORT_FIELDS[sort]))
    if cursor is not None:
        value, last_id = _decode_cursor(cursor, sort)
        query = query.where(or_(column < value, and_(column == value, col(Incident.id) > last_id)))
        offset = 0
    rows = await session.execute(query.order_by(column.desc(), col(Incident.id)).limit(limit).offset(offset))
    items = list(rows.scalars())
    next_cursor = _encode_cursor(items[-1], sort) if len(items) == limit else None
    return IncidentPage(
        items=[to_public(i) for i in items], total=total, limit=limit, offset=offset, next_cursor=next_cursor
    )


def _encode_cursor(incident: Incident, sort: IncidentSort) -> str:
    value: Any = getattr(incident, _SORT_FIELDS[sort])
    raw = {"s": sort, "v": value.isoformat() if isinstance(value, datetime) else value, "id": incident.id}
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode()


def _decode_cursor(cursor: str, sort: IncidentSort) -> tuple[Any, str]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if raw["s"] != sort:
            raise ValueError("cursor of another sort")
        value = raw["v"] if sort == "priority" else datetime.fromisoformat(raw["v"])
        if sort == "priority" and not isinstance(value, int):
            raise ValueError("bad priority")
        return value, str(raw["id"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        error = {
            "loc": ("query", "cursor"),
            "msg": "not a cursor this listing returned with this sort",
            "type": "value_error",
        }
        raise RequestValidationError([error]) from None


async def scoped_incident(session: SessionDep, principal: Principal, incident_id: str) -> Incident:
    return await incident_or_404(session, principal, incident_id)


@router.get("/{incident_id}", response_model=IncidentDetail)
async def get_incident(
    incident_id: str,
    principal: CanReadIncidents,
    session: SessionDep,
    services: ServicesDep,
    alert_limit: Annotated[int, Query(ge=0, le=1000)] = 100,
) -> IncidentDetail:
    incident = await scoped_incident(session, principal, incident_id)
    alerts = await session.execute(
        select(Alert)
        .where(Alert.incident_id == incident.id, Alert.company_id == incident.company_id)
        .order_by(col(Alert.received_at).desc())
        .limit(alert_limit)
    )
    settings = services.settings
    namespace_url = f"{settings.temporal_ui_url.rstrip('/')}/namespaces/{settings.temporal_namespace}"
    ui = f"{namespace_url}/workflows/{incident.id}"
    return IncidentDetail(
        **to_public(incident).model_dump(),
        alerts=[AlertPublic(**a.model_dump()) for a in alerts.scalars()],
        temporal_ui_url=ui,
    )


class ResolveRequest(BaseModel):
    note: Annotated[str, Field(max_length=2000), NoNul] = ""


@router.post(
    "/{incident_id}/resolve",
    response_model=IncidentPublic,
    responses={409: {"description": "the incident is already resolved"}},
)
async def resolve_incident(
    incident_id: str,
    principal: CanActOnIncidents,
    session: SessionDep,
    services: ServicesDep,
    body: ResolveRequest | None = None,
) -> IncidentPublic:
    """Resolves the incident, or confirms a recovery it is waiting on (company policy `on_recovery`)."""
    incident = await scoped_incident(session, principal, incident_id)
    note = body.note if body else ""
    handle = services.temporal.get_workflow_handle(incident.id)
    try:
        state = await handle.execute_update(
            IncidentWorkflow.resolve,
            ResolveIncident(user_id=principal.user.id, note=note),
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        reason = cause.message if isinstance(cause, ApplicationError) else str(err)
        raise HTTPException(409, f"cannot resolve incident {incident.id}: {reason}") from None
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        raise HTTPException(
            409, f"incident {incident.id} has ended (it is {incident.status}); nothing left to resolve"
        ) from None
    await record(
        session,
        actor=principal.user.id,
        action="incident.resolve",
        company_id=incident.company_id,
        object_type="incident",
        object_id=incident.id,
        after={"resolution": state.resolution, "note": note},
    )
    await session.commit()
    await session.refresh(incident)
    return to_public(incident)


@router.get("/{incident_id}/timeline", response_model=list[TimelineEntry])
async def get_timeline(
    incident_id: str, principal: CanReadIncidents, session: SessionDep
) -> list[TimelineEntry]:
    """Everything that happened, in order: alerts (grouped when many), decisions with their reasoning,
    approvals, runbook runs with output, SLA events, assignments, notifications, notes, audit entries."""
    incident = await scoped_incident(session, principal, incident_id)
    return await timeline(session, incident)


class NoteCreate(BaseModel):
    text: Annotated[str, Field(min_length=1, max_length=10_000), NoNul]


class NotePublic(BaseModel):
    id: str
    incident_id: str
    author: str
    text: str
    at: datetime


@router.post("/{incident_id}/notes", response_model=NotePublic, status_code=201)
async def post_note(
    principal: CanActOnIncidents, incident: ScopedIncident, body: NoteCreate, session: SessionDep
) -> NotePublic:
    entry = await add_note(session, incident, principal.user.id, body.text)
    await session.commit()
    return NotePublic(id=entry.id, incident_id=incident.id, author=entry.actor, text=body.text, at=entry.at)
