"""The audit log, read-only and tenant-scoped: a page of entries as JSON, or every entry as CSV.

Entries with no company (sign-outs, MSP-level changes) are the MSP admin's alone: `scoped` keeps
only rows of the caller's companies, and NULL is in no list.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel, BeforeValidator
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from api.deps import ServicesDep, SessionDep
from api.fields import NO_NUL, invalid_query
from api.permissions import CanReadAudit
from api.tenancy import scoped
from core.db.models import AuditLog
from core.runtime import Services

router = APIRouter(tags=["audit"])

ISO_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]")
CSV_BATCH = 500
CSV_COLUMNS = (
    "id",
    "at",
    "actor",
    "action",
    "company_id",
    "object_type",
    "object_id",
    "before",
    "after",
)
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class AuditEntryPublic(BaseModel):
    id: str
    at: datetime
    actor: str
    action: str
    company_id: str | None
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(BaseModel):
    items: list[AuditEntryPublic]
    total: int
    limit: int
    offset: int


def _iso_8601(value: Any) -> Any:
    # Pydantic would also read a number as a Unix time; the schema promises ISO 8601 date-times only.
    if isinstance(value, str) and not ISO_DATE_TIME.match(value):
        raise ValueError("expected an ISO 8601 date-time with an offset, such as 2030-01-31T09:00:00Z")
    return value


Since = Annotated[AwareDatetime | None, BeforeValidator(_iso_8601), Query(description="entries at or after")]
Until = Annotated[AwareDatetime | None, BeforeValidator(_iso_8601), Query(description="entries at or before")]


def _in_utc(name: str, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise invalid_query(name, "datetime out of range once converted to UTC") from None


async def audit_filters(
    principal: CanReadAudit,
    company_id: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    actor: Annotated[
        str | None, Query(max_length=120, pattern=NO_NUL, description='a user id, or "system"')
    ] = None,
    object_type: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    object_id: Annotated[str | None, Query(max_length=120, pattern=NO_NUL)] = None,
    action: Annotated[
        str | None, Query(max_length=80, pattern=NO_NUL, description="e.g. company.update")
    ] = None,
    since: Since = None,
    until: Until = None,
) -> SelectOfScalar[AuditLog]:
    """The entries the caller may see that match every filter given; another tenant's company is empty."""
    since, until = _in_utc("since", since), _in_utc("until", until)
    if since is not None and until is not None and since > until:
        raise invalid_query("until", "until is before since")
    query = scoped(select(AuditLog), AuditLog.company_id, principal)
    for column, value in (
        (AuditLog.company_id, company_id),
        (AuditLog.actor, actor),
        (AuditLog.object_type, object_type),
        (AuditLog.object_id, object_id),
        (AuditLog.action, action),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(col(AuditLog.at) >= since)
    if until is not None:
        query = query.where(col(AuditLog.at) <= until)
    return query


AuditQuery = Annotated[SelectOfScalar[AuditLog], Depends(audit_filters)]


def newest_first(query: SelectOfScalar[AuditLog]) -> SelectOfScalar[AuditLog]:
    return query.order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())


@router.get("/api/audit", response_model=AuditPage)
async def list_audit(
    principal: CanReadAudit,
    query: AuditQuery,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> AuditPage:
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(newest_first(query).limit(limit).offset(offset))
    items = [AuditEntryPublic.model_validate(e, from_attributes=True) for e in rows.scalars()]
    return AuditPage(items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/api/audit.csv",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Every matching entry, newest first, one per row after a header row",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def export_audit_csv(principal: CanReadAudit, query: AuditQuery, services: ServicesDep) -> Any:
    """The same filters as `GET /api/audit`, without paging: the whole matching log as a download."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        _csv_rows(services, newest_first(query)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )


async def _csv_rows(services: Services, query: SelectOfScalar[AuditLog]) -> AsyncIterator[str]:
    # Its own session: the request's may be closed once the route returns, while rows still stream.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield _drain(buffer)
    async with services.sessions() as session:
        result = await session.stream_scalars(query.execution_options(yield_per=CSV_BATCH))
        async for batch in result.partitions():
            writer.writerows(_csv_row(entry) for entry in batch)
            yield _drain(buffer)


def _csv_row(entry: AuditLog) -> list[str]:
    cells = [
        entry.id,
        entry.at.isoformat(),
        entry.actor,
        entry.action,
        entry.company_id or "",
        entry.object_type,
        entry.object_id,
        "" if entry.before is None else json.dumps(entry.before, sort_keys=True),
        "" if entry.after is None else json.dumps(entry.after, sort_keys=True),
    ]
    return [defuse_formula(cell) for cell in cells]


def defuse_formula(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
