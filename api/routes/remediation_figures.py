"""Self-healing figures from stored data: read-only, over the caller's companies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import SessionDep
from api.fields import CompanyFilter, IsoDateTime, invalid_query
from api.permissions import CanReadIncidents
from api.tenancy import company_scope
from core.remediation.figures import InvalidRange, RemediationFigures, remediation_figures

router = APIRouter(prefix="/api/remediation", tags=["remediation"])


@router.get("/figures", response_model=RemediationFigures)
async def figures(
    principal: CanReadIncidents,
    session: SessionDep,
    company_id: CompanyFilter = None,
    since: Annotated[
        datetime | None, IsoDateTime, Query(description="default: 30 days before `until`")
    ] = None,
    until: Annotated[
        datetime | None, IsoDateTime, Query(description="default: now; the range excludes it")
    ] = None,
) -> RemediationFigures:
    """Incidents and how many healed themselves, approvals and how long they waited, and each runbook's
    success, over [since, until); naive times are UTC. Another tenant's `company_id` answers 404."""
    scope = await company_scope(session, principal, company_id)
    try:
        return await remediation_figures(session, scope, since, until)
    except InvalidRange as err:
        raise invalid_query("since", str(err)) from None
