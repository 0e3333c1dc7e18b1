"""Approvers answer the runbook an incident proposes, and anyone who acts on incidents may ask for a
runbook by hand: Temporal updates on the incident's workflow.

Order of checks: permission (403), tenant (404), the approver's role against the risk (403), then the
workflow's validator, which refuses when nothing awaits approval or a run is already under way (409).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import Principal, ServicesDep, SessionDep
from api.fields import NoNul
from api.permissions import CanActOnIncidents, CanApprove
from api.routes.incidents import IncidentPublic, to_public
from api.tenancy import ScopedIncident
from core.db.models import Incident, utcnow
from core.decisions.manual import RunbookNotApplicable, runbook_request
from core.decisions.projection import incident_state
from core.runbooks.service import visible_runbook
from workflows.incident.requests import APPROVER_ROLE_ERROR
from workflows.incident.workflow import IncidentWorkflow
from workflows.remediation.approval import may_approve
from workflows.remediation.types import ApprovalAnswer

router = APIRouter(prefix="/api/incidents", tags=["remediation"])

ANSWERS: dict[int | str, dict[str, Any]] = {
    403: {"description": "your role may not approve a runbook of this risk"},
    409: {"description": "nothing awaits approval on this incident"},
}


class ApprovalComment(BaseModel):
    comment: Annotated[str, Field(max_length=2000), NoNul] = ""


@router.post("/{incident_id}/approve", response_model=IncidentPublic, responses=ANSWERS)
async def approve(
    principal: CanApprove,
    incident: ScopedIncident,
    session: SessionDep,
    services: ServicesDep,
    body: ApprovalComment | None = None,
) -> IncidentPublic:
    """Approves the runbook awaiting approval; it starts at once."""
    return await _answer(incident, principal, session, services, approve=True, body=body)


@router.post("/{incident_id}/reject", response_model=IncidentPublic, responses=ANSWERS)
async def reject(
    principal: CanApprove,
    incident: ScopedIncident,
    session: SessionDep,
    services: ServicesDep,
    body: ApprovalComment | None = None,
) -> IncidentPublic:
    """Rejects the runbook awaiting approval; the incident stays with the technicians."""
    return await _answer(incident, principal, session, services, approve=False, body=body)


async def _answer(
    incident: Incident,
    principal: Principal,
    session: SessionDep,
    services: ServicesDep,
    approve: bool,
    body: ApprovalComment | None,
) -> IncidentPublic:
    required = _required_role(incident)
    if required is not None and not may_approve(principal.role.value, required):
        raise HTTPException(
            403, f"approving this runbook needs {required} or above (you are {principal.role.value})"
        )
    answer = ApprovalAnswer(
        user_id=principal.user.id,
        role=principal.role.value,
        approve=approve,
        comment=body.comment if body else "",
    )
    return await incident_after_update(services, session, incident, IncidentWorkflow.answer_approval, answer)


class RunbookChoice(BaseModel):
    runbook_id: Annotated[str, Field(min_length=1, max_length=40), NoNul]


@router.post(
    "/{incident_id}/execute-runbook",
    response_model=IncidentPublic,
    status_code=202,
    responses={
        404: {"description": "no such incident or runbook for you"},
        409: {"description": "a runbook already awaits approval or runs, or the incident has ended"},
        422: {"description": "the runbook cannot be made ready for this incident"},
    },
)
async def execute_runbook(
    principal: CanActOnIncidents,
    incident: ScopedIncident,
    choice: RunbookChoice,
    session: SessionDep,
    services: ServicesDep,
) -> IncidentPublic:
    """Runs a runbook by hand under the approval rules: at once where policy allows it or your role may
    approve it, else it awaits approval like one the system proposed. Answers 202: the run is under way
    (or awaiting approval); `remediation` shows which."""
    runbook = await visible_runbook(session, principal.actor, choice.runbook_id)
    if runbook is None or runbook.company_id not in (None, incident.company_id):
        raise HTTPException(404, f"no runbook {choice.runbook_id} for this incident's company")
    state = await incident_state(session, incident)
    try:
        request = await runbook_request(
            session, state, runbook, principal.user.id, principal.role.value, utcnow()
        )
    except RunbookNotApplicable as err:
        raise HTTPException(422, f"runbook {runbook.name!r} cannot run on this incident: {err}") from None
    return await incident_after_update(services, session, incident, IncidentWorkflow.request_runbook, request)


def _required_role(incident: Incident) -> str | None:
    remediation = incident.remediation or {}
    approval = remediation.get("approval") or {}
    role = approval.get("required_role")
    return role if isinstance(role, str) else None


async def workflow_update(services: ServicesDep, incident: Incident, update: Any, arg: Any) -> Any:
    """Run an update on the incident's workflow; its refusals become 403 or 409 with the reason."""
    handle = services.temporal.get_workflow_handle(incident.id)
    try:
        return await handle.execute_update(update, arg)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError):
            status = 403 if cause.type == APPROVER_ROLE_ERROR else 409
            raise HTTPException(status, cause.message) from None
        raise HTTPException(409, str(err)) from None
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        raise HTTPException(409, f"incident {incident.id} has ended (it is {incident.status})") from None


async def incident_after_update(
    services: ServicesDep, session: SessionDep, incident: Incident, update: Any, arg: Any
) -> IncidentPublic:
    """The incident as its row reads once the update on its workflow has been accepted."""
    await workflow_update(services, incident, update, arg)
    await session.refresh(incident)
    return to_public(incident)
