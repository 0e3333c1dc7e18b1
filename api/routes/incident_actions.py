"""What technicians do to an incident besides resolving it: acknowledge, assign, escalate, pause and resume
its SLA clocks, reopen. Each is a Temporal update on the incident's workflow (reopen starts it anew), after
the permission (403) and tenant (404) checks."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.deps import ServicesDep, SessionDep
from api.fields import NoNul
from api.permissions import CanActOnIncidents
from api.routes.incidents import IncidentPublic, to_public
from api.routes.remediation import incident_after_update
from api.tenancy import ScopedIncident
from core.db.models import Incident
from core.oncall.members import assignable_user
from workflows.incident.visibility import search_attributes, summary
from workflows.incident.workflow import IncidentWorkflow
from workflows.types import (
    Acknowledge,
    AssignIncident,
    EscalateIncident,
    IncidentInput,
    IncidentState,
    IncidentStatus,
    PauseSla,
    ReopenIncident,
)

router = APIRouter(prefix="/api/incidents", tags=["incident actions"])

REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"description": "the incident cannot do that now (closed, already acknowledged, already paused …)"}
}
Reason = Annotated[str, Field(max_length=2000), NoNul]


class ReasonBody(BaseModel):
    reason: Reason = ""


class AssignBody(BaseModel):
    user_id: Annotated[str, Field(min_length=1, max_length=40), NoNul]


@router.post("/{incident_id}/acknowledge", response_model=IncidentPublic, responses=REFUSED)
async def acknowledge(
    principal: CanActOnIncidents, incident: ScopedIncident, session: SessionDep, services: ServicesDep
) -> IncidentPublic:
    """Takes the incident on: the response clock stops and the escalation chain stops climbing."""
    request = Acknowledge(user_id=principal.user.id)
    return await incident_after_update(services, session, incident, IncidentWorkflow.acknowledge, request)


@router.post("/{incident_id}/escalate", response_model=IncidentPublic, responses=REFUSED)
async def escalate(
    principal: CanActOnIncidents,
    incident: ScopedIncident,
    session: SessionDep,
    services: ServicesDep,
    body: ReasonBody | None = None,
) -> IncidentPublic:
    """One level up the company's escalation chain: notifies that level, reassigns where the chain says."""
    request = EscalateIncident(user_id=principal.user.id, reason=body.reason if body else "")
    return await incident_after_update(services, session, incident, IncidentWorkflow.escalate, request)


@router.post("/{incident_id}/assign", response_model=IncidentPublic, responses=REFUSED)
async def assign(
    principal: CanActOnIncidents,
    incident: ScopedIncident,
    body: AssignBody,
    session: SessionDep,
    services: ServicesDep,
) -> IncidentPublic:
    """Reassigns by hand, to an active user of the incident's company (or of the MSP); notified, audited."""
    await assignable_user(session, incident.company_id, body.user_id)  # AssigneeRefused: 422
    request = AssignIncident(user_id=body.user_id, by=principal.user.id)
    return await incident_after_update(services, session, incident, IncidentWorkflow.assign, request)


@router.post("/{incident_id}/sla/pause", response_model=IncidentPublic, responses=REFUSED)
async def pause_sla(
    principal: CanActOnIncidents,
    incident: ScopedIncident,
    body: ReasonBody,
    session: SessionDep,
    services: ServicesDep,
) -> IncidentPublic:
    """Stops the SLA clocks (waiting on the customer); the reason is shown and audited."""
    if not body.reason.strip():
        raise HTTPException(422, "say why the clocks pause (reason)")
    request = PauseSla(user_id=principal.user.id, reason=body.reason)
    return await incident_after_update(services, session, incident, IncidentWorkflow.pause_sla, request)


@router.post("/{incident_id}/sla/resume", response_model=IncidentPublic, responses=REFUSED)
async def resume_sla(
    principal: CanActOnIncidents, incident: ScopedIncident, session: SessionDep, services: ServicesDep
) -> IncidentPublic:
    request = PauseSla(user_id=principal.user.id)
    return await incident_after_update(services, session, incident, IncidentWorkflow.resume_sla, request)


@router.post("/{incident_id}/reopen", response_model=IncidentPublic, status_code=200, responses=REFUSED)
async def reopen(
    principal: CanActOnIncidents,
    incident: ScopedIncident,
    session: SessionDep,
    services: ServicesDep,
    body: ReasonBody | None = None,
) -> IncidentPublic:
    """Opens a resolved incident again, with a new resolution clock: its workflow starts anew from the
    state it ended in."""
    if incident.status != IncidentStatus.resolved.value:
        raise HTTPException(409, f"only a resolved incident can be reopened (it is {incident.status})")
    client = services.temporal
    handle = client.get_workflow_handle_for(IncidentWorkflow.run, incident.id)
    description = await handle.describe()
    if description.status != WorkflowExecutionStatus.COMPLETED:
        raise HTTPException(409, "the incident is still finishing; try again in a moment")
    try:
        final: IncidentState = await handle.result()
    except WorkflowFailureError:
        raise HTTPException(
            409, "the incident's workflow did not end cleanly; it cannot be reopened"
        ) from None
    try:
        await client.start_workflow(
            IncidentWorkflow.run,
            IncidentInput(
                carried=final,
                reopen=ReopenIncident(user_id=principal.user.id, reason=body.reason if body else ""),
            ),
            id=incident.id,
            task_queue=services.settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=search_attributes(final),
            static_summary=summary(
                final.severity.value, final.signature, final.asset_name, final.company_name
            ),
        )
    except WorkflowAlreadyStartedError:
        raise HTTPException(409, "the incident was reopened meanwhile") from None
    await _reopened(session, incident)
    return to_public(incident)


async def _reopened(session: SessionDep, incident: Incident) -> None:
    """The new run writes the projection in its first task; wait briefly for it so the answer shows it."""
    for _ in range(50):
        await session.refresh(incident)
        if incident.status != IncidentStatus.resolved.value:
            return
        await asyncio.sleep(0.1)
