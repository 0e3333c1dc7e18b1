"""Maintenance windows of client companies: quiet periods in which matching firing alerts are stored as
suppressed and open no incident (see docs/integrations/maintenance-windows.md). The writes and their
audit are core's, `core/maintenance/service.py`."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from sqlmodel import col, select

from api.deps import CurrentPrincipal, ServicesDep, SessionDep
from api.fields import NO_NUL, NoNul
from api.permissions import CanManageMaintenance, CanReadMaintenance
from api.tenancy import PathId, company_or_404, owned_or_404, scoped
from core.db.models import MaintenanceWindow
from core.maintenance import service as maintenance
from core.maintenance.schedule import MAX_DURATION_MINUTES, Schedule, WindowKind, zone_named
from core.maintenance.service import SPEC_FIELDS, WindowSpec
from core.maintenance.windows import schedule_of

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/maintenance-windows", tags=["maintenance windows"])

ISO_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]")
# Fields that only some kinds use: sending one for another kind is a mistake worth a 422, not a silent drop.
UNUSED_BY: dict[WindowKind, tuple[str, ...]] = {
    WindowKind.once: ("weekly", "cron", "duration_minutes"),
    WindowKind.weekly: ("starts_at", "ends_at", "cron", "duration_minutes"),
    WindowKind.cron: ("starts_at", "ends_at", "weekly"),
}


def _iso_8601(value: Any) -> Any:
    # Pydantic would also read a number as a Unix time; the schema promises ISO 8601 date-times only.
    if not isinstance(value, str) or not ISO_DATE_TIME.match(value):
        raise ValueError("expected an ISO 8601 date-time with an offset, such as 2030-01-31T22:00:00Z")
    return value


def _strip_not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ClockTime = Annotated[
    str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM, 24-hour, local time")
]
Instant = Annotated[AwareDatetime, BeforeValidator(_iso_8601)]
Glob = Annotated[str, Field(min_length=1, max_length=255), NoNul]
LabelName = Annotated[str, Field(min_length=1, max_length=255), NoNul]
LabelValue = Annotated[str, Field(max_length=255), NoNul]


class WeeklyInterval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: Annotated[list[Day], Field(min_length=1, max_length=7, description="the days it starts on")]
    start: ClockTime
    end: ClockTime = Field(
        description="an end at or before the start is on the next day (22:00-02:00); equal: 24 hours"
    )


class MaintenanceWindowSpec(BaseModel):
    """A whole window; PUT replaces every field, as POST sets them."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200), NoNul]
    kind: WindowKind = Field(
        description="once: starts_at..ends_at; weekly: intervals in `weekly`; "
        "cron: opens when `cron` fires, for duration_minutes"
    )
    timezone: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        default="UTC", description="IANA time zone in which weekly times and cron fields are read"
    )
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    weekly: Annotated[list[WeeklyInterval], Field(max_length=50)] = Field(default_factory=list)
    cron: Annotated[str, Field(min_length=1, max_length=120), NoNul] | None = Field(
        default=None, description='five fields, e.g. "0 2 * * sun", or @daily, @weekly, …'
    )
    duration_minutes: Annotated[int, Field(ge=1, le=MAX_DURATION_MINUTES, strict=True)] | None = None
    match_assets: Annotated[list[Glob], Field(max_length=100)] = Field(
        default_factory=list,
        description="globs (*, ?, [abc]) on asset_name or asset_id, case-insensitive; empty: any asset",
    )
    match_signatures: Annotated[list[Glob], Field(max_length=100)] = Field(
        default_factory=list, description="globs on the signature, case-insensitive; empty: any signature"
    )
    match_labels: Annotated[dict[LabelName, LabelValue], Field(max_length=50)] = Field(
        default_factory=dict, description="labels the alert must carry with exactly these values"
    )
    enabled: bool = Field(default=True, strict=True)

    _name = field_validator("name")(_strip_not_blank)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone_named(value)
        return value

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        try:
            return None if value is None else value.astimezone(UTC)
        except OverflowError:
            raise ValueError("is outside years 1 to 9999 once converted to UTC") from None

    @model_validator(mode="after")
    def _fits_its_kind(self) -> MaintenanceWindowSpec:
        sent = [f for f in UNUSED_BY[self.kind] if getattr(self, f) not in (None, [])]
        if sent:
            raise ValueError(f"{', '.join(sent)}: not used by a {self.kind.value} window; leave it out")
        Schedule.parse(**self._schedule_fields())  # the reason a schedule is unusable, as a 422
        return self

    def _schedule_fields(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "timezone": self.timezone,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "weekly": [i.model_dump() for i in self.weekly],
            "cron": self.cron,
            "duration_minutes": self.duration_minutes,
        }

    def stored(self) -> dict[str, Any]:
        """The table's columns for this spec."""
        return {
            **self._schedule_fields(),
            "name": self.name,
            "match_assets": list(self.match_assets),
            "match_signatures": list(self.match_signatures),
            "match_labels": dict(self.match_labels),
            "enabled": self.enabled,
        }


class MaintenanceWindowCreate(MaintenanceWindowSpec):
    company_id: Annotated[str, Field(min_length=1, max_length=40), NoNul]


class MaintenanceWindowPublic(BaseModel):
    id: str
    company_id: str
    name: str
    kind: WindowKind
    timezone: str
    starts_at: datetime | None
    ends_at: datetime | None
    weekly: list[WeeklyInterval]
    cron: str | None
    duration_minutes: int | None
    match_assets: list[str]
    match_signatures: list[str]
    match_labels: dict[str, str]
    enabled: bool
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    active_now: bool = Field(description="enabled, and open now")
    next_start: datetime | None = Field(
        description="the next scheduled opening after now; null when there is none or it is disabled"
    )
    suppressed_alerts: int = Field(description="alerts this window has kept from opening incidents")


async def _scoped_window(
    window_id: PathId, principal: CurrentPrincipal, session: SessionDep
) -> MaintenanceWindow:
    return await owned_or_404(session, principal, MaintenanceWindow, window_id, "maintenance window")


# The `{window_id}` of the path, loaded if it belongs to one of the caller's companies, else 404.
ScopedWindow = Annotated[MaintenanceWindow, Depends(_scoped_window)]


def _timing(window: MaintenanceWindow, now: datetime) -> tuple[bool, datetime | None]:
    try:
        schedule = schedule_of(window)
    except ValueError as err:
        log.error("maintenance window %s is unusable: %s", window.id, err)
        return False, None
    if not window.enabled:
        return False, None
    return schedule.is_open(now), schedule.next_start(now)


def to_public(window: MaintenanceWindow, suppressed_alerts: int, now: datetime) -> MaintenanceWindowPublic:
    active_now, next_start = _timing(window, now)
    return MaintenanceWindowPublic(
        **{f: getattr(window, f) for f in SPEC_FIELDS},
        id=window.id,
        company_id=window.company_id,
        created_by=window.created_by,
        created_at=window.created_at,
        updated_at=window.updated_at,
        active_now=active_now,
        next_start=next_start,
        suppressed_alerts=suppressed_alerts,
    )


async def _public(session: SessionDep, window: MaintenanceWindow) -> MaintenanceWindowPublic:
    counts = await maintenance.suppressed_counts(session, [window])
    return to_public(window, counts.get(window.id, 0), datetime.now(UTC))


@router.get("", response_model=list[MaintenanceWindowPublic])
async def list_maintenance_windows(
    principal: CanReadMaintenance,
    session: SessionDep,
    company_id: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    active: Annotated[bool | None, Query(description="only windows open now (true) or not (false)")] = None,
) -> list[MaintenanceWindowPublic]:
    """The windows of the caller's companies, by company and name."""
    query = scoped(select(MaintenanceWindow), col(MaintenanceWindow.company_id), principal)
    if company_id is not None:
        query = query.where(MaintenanceWindow.company_id == company_id)
    query = query.order_by(
        col(MaintenanceWindow.company_id), col(MaintenanceWindow.name), col(MaintenanceWindow.id)
    )
    found = list((await session.execute(query)).scalars())
    counts = await maintenance.suppressed_counts(session, found)
    now = datetime.now(UTC)
    answers = [to_public(w, counts.get(w.id, 0), now) for w in found]
    return [a for a in answers if active is None or a.active_now == active]


@router.post("", response_model=MaintenanceWindowPublic, status_code=201)
async def create_maintenance_window(
    principal: CanManageMaintenance,
    body: MaintenanceWindowCreate,
    session: SessionDep,
    services: ServicesDep,
) -> MaintenanceWindowPublic:
    """Matching firing alerts of the company are suppressed from the next alert on."""
    company = await company_or_404(session, principal, body.company_id)
    spec = WindowSpec(**body.stored())
    window = await maintenance.create(session, services.maintenance, principal.actor, company.id, spec)
    return await _public(session, window)


@router.get("/{window_id}", response_model=MaintenanceWindowPublic)
async def get_maintenance_window(
    principal: CanReadMaintenance, window: ScopedWindow, session: SessionDep
) -> MaintenanceWindowPublic:
    return await _public(session, window)


@router.put("/{window_id}", response_model=MaintenanceWindowPublic)
async def replace_maintenance_window(
    principal: CanManageMaintenance,
    window: ScopedWindow,
    body: MaintenanceWindowSpec,
    session: SessionDep,
    services: ServicesDep,
) -> MaintenanceWindowPublic:
    """Replaces the whole window (send every field, as for POST); its company stays."""
    spec = WindowSpec(**body.stored())
    replaced = await maintenance.replace(session, services.maintenance, principal.actor, window, spec)
    return await _public(session, replaced)


@router.delete("/{window_id}", status_code=204)
async def delete_maintenance_window(
    principal: CanManageMaintenance, window: ScopedWindow, session: SessionDep, services: ServicesDep
) -> Response:
    """Alerts it suppressed stay suppressed and keep its id, for history and the suppression figures."""
    await maintenance.delete(session, services.maintenance, principal.actor, window)
    return Response(status_code=204)
