"""Runbooks: fixes for alerts whose signature matches, global (the MSP's) or one company's (see
docs/runbooks.md). The checks on what an author writes are core's, `core/runbooks/spec.py`; who may write
which runbook, and the writes with their audit, `core/runbooks/service.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from api.deps import CurrentPrincipal, SessionDep
from api.fields import NO_NUL, NoNul
from api.permissions import CanManageRunbooks, CanReadRunbooks
from api.tenancy import PathId, company_or_404, not_found
from core.db.models import Runbook
from core.runbooks import service as runbooks
from core.runbooks.history import RunbookHistory, histories
from core.runbooks.spec import RunbookSpec
from workflows.remediation.types import ExecutorKind, RiskLevel

router = APIRouter(prefix="/api/runbooks", tags=["runbooks"])


class RunbookCreate(RunbookSpec):
    company_id: Annotated[str, Field(min_length=1, max_length=40), NoNul] | None = Field(
        default=None, description="null: a global runbook, for every client (msp_admin only)"
    )


class RunbookPublic(BaseModel):
    # Plain fields, not RunbookSpec's checks: a runbook stored under older rules still reads.
    id: str
    company_id: str | None
    name: str
    description: str
    signatures: list[str]
    risk_level: RiskLevel
    executor: ExecutorKind
    actions: list[str]
    rollback_actions: list[str]
    pre_check: str | None
    post_check: str | None
    parameters: list[dict[str, str]] = Field(description="each with name, source and pattern")
    auto_approve: bool
    timeout_seconds: int
    demo: bool
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    history: RunbookHistory = Field(description="its finished runs at the caller's companies")


async def _scoped_runbook(runbook_id: PathId, principal: CurrentPrincipal, session: SessionDep) -> Runbook:
    runbook = await runbooks.visible_runbook(session, principal.actor, runbook_id)
    if runbook is None:
        raise not_found("runbook", runbook_id)
    return runbook


# The `{runbook_id}` of the path, loaded if global or of one of the caller's companies, else 404.
ScopedRunbook = Annotated[Runbook, Depends(_scoped_runbook)]


def to_public(runbook: Runbook, history: RunbookHistory | None) -> RunbookPublic:
    return RunbookPublic(
        **{f: getattr(runbook, f) for f in runbooks.SPEC_FIELDS},
        id=runbook.id,
        company_id=runbook.company_id,
        created_by=runbook.created_by,
        created_at=runbook.created_at,
        updated_at=runbook.updated_at,
        history=history or RunbookHistory(),
    )


async def _public(session: SessionDep, principal: CurrentPrincipal, runbook: Runbook) -> RunbookPublic:
    found = await histories(session, principal.actor, [runbook.id])
    return to_public(runbook, found.get(runbook.id))


@router.get("", response_model=list[RunbookPublic])
async def list_runbooks(
    principal: CanReadRunbooks,
    session: SessionDep,
    company_id: Annotated[
        str | None, Query(max_length=40, pattern=NO_NUL, description="that company's runbooks")
    ] = None,
    signature: Annotated[
        str | None, Query(max_length=255, pattern=NO_NUL, description="runbooks whose globs match it")
    ] = None,
    include_global: Annotated[bool, Query(description="global runbooks too")] = True,
) -> list[RunbookPublic]:
    """Global runbooks and those of the caller's companies: global first, then by company and name."""
    found = await runbooks.list_runbooks(
        session, principal.actor, company_id=company_id, signature=signature, include_global=include_global
    )
    figures = await histories(session, principal.actor, [r.id for r in found])
    return [to_public(r, figures.get(r.id)) for r in found]


@router.post("", response_model=RunbookPublic, status_code=201)
async def create_runbook(
    principal: CanManageRunbooks, body: RunbookCreate, session: SessionDep
) -> RunbookPublic:
    """A company's runbook (its admins, or the MSP), or a global one (`company_id` null; msp_admin only)."""
    company_id = None
    if body.company_id is not None:
        company_id = (await company_or_404(session, principal, body.company_id)).id
    runbook = await runbooks.create(session, principal.actor, company_id, body)
    return await _public(session, principal, runbook)


@router.get("/{runbook_id}", response_model=RunbookPublic)
async def get_runbook(
    principal: CanReadRunbooks, runbook: ScopedRunbook, session: SessionDep
) -> RunbookPublic:
    return await _public(session, principal, runbook)


@router.put("/{runbook_id}", response_model=RunbookPublic)
async def replace_runbook(
    principal: CanManageRunbooks, runbook: ScopedRunbook, body: RunbookSpec, session: SessionDep
) -> RunbookPublic:
    """Replaces the whole runbook (send every field, as for POST); its company stays."""
    replaced = await runbooks.replace(session, principal.actor, runbook, body)
    return await _public(session, principal, replaced)


@router.delete("/{runbook_id}", status_code=204)
async def delete_runbook(
    principal: CanManageRunbooks, runbook: ScopedRunbook, session: SessionDep
) -> Response:
    """Its past runs keep its id, for history."""
    await runbooks.delete(session, principal.actor, runbook)
    return Response(status_code=204)
