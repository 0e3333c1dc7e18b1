"""Operational KPIs over the caller's companies: totals and a UTC series, each an SQL aggregate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import SessionDep
from api.fields import CompanyFilter, IsoDateTime, invalid_query
from api.permissions import CanReadIncidents
from api.tenancy import company_scope
from core.kpis.report import kpi_report
from core.kpis.shape import Bucket, KpiReport, TechnicianReport
from core.kpis.technicians import technician_figures
from core.kpis.window import InvalidKpiRange, KpiWindow, kpi_window

router = APIRouter(prefix="/api/kpis", tags=["kpis"])

FromQuery = Annotated[
    datetime | None, IsoDateTime, Query(alias="from", description="inclusive; default: 7 days before `to`")
]
ToQuery = Annotated[datetime | None, IsoDateTime, Query(alias="to", description="exclusive; default: now")]


def _window(start: datetime | None, end: datetime | None, bucket: Bucket) -> KpiWindow:
    try:
        return kpi_window(start, end, bucket, datetime.now(UTC))
    except InvalidKpiRange as err:
        raise invalid_query(err.field, str(err)) from None


@router.get("", response_model=KpiReport, response_model_by_alias=True)
async def kpis(
    principal: CanReadIncidents,
    session: SessionDep,
    company_id: CompanyFilter = None,
    start: FromQuery = None,
    end: ToQuery = None,
    bucket: Annotated[
        Bucket, Query(description="UTC days (range up to 366 days) or hours (up to 31 days)")
    ] = "day",
) -> KpiReport:
    """Alerts received, suppressed and duplicate; incidents opened; noise reduction; MTTA and MTTR;
    self-healing; SLA compliance; approval wait. Naive times are UTC. Another tenant's `company_id`
    answers 404."""
    scope = await company_scope(session, principal, company_id)
    return await kpi_report(session, scope, _window(start, end, bucket), company_id)


@router.get("/technicians", response_model=TechnicianReport, response_model_by_alias=True)
async def technician_kpis(
    principal: CanReadIncidents,
    session: SessionDep,
    company_id: CompanyFilter = None,
    start: FromQuery = None,
    end: ToQuery = None,
) -> TechnicianReport:
    """Per assignee of your companies: incidents open now; resolved, MTTA and MTTR medians and SLA
    breaches in the range (up to 366 days). Naive times are UTC. Another tenant's `company_id` answers
    404."""
    scope = await company_scope(session, principal, company_id)
    window = _window(start, end, "day")
    return TechnicianReport(
        company_id=company_id,
        from_=window.start,
        to=window.end,
        technicians=await technician_figures(session, scope, window),
    )
