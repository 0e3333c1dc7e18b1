"""On-call schedules of client companies, and who is on call for a company now (docs/oncall.md).

The rotation rules are core's (`core/oncall/rotation.py`); the writes and their audit are
`core/oncall/service.py`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlmodel import col, select

from api.deps import CurrentPrincipal, SessionDep
from api.fields import NO_NUL, NoNul
from api.permissions import CanManageOncall, CanReadOncall
from api.routes.maintenance_windows import ClockTime, Day, Instant
from api.tenancy import PathId, ScopedCompany, company_or_404, owned_or_404, scoped
from core.db.models import OncallSchedule
from core.maintenance.schedule import zone_named
from core.oncall import service as oncall
from core.oncall.now import on_call_now, on_call_user_ids, schedule_now
from core.oncall.rotation import MAX_PARTICIPANTS, MAX_SHIFT_HOURS, OnCall, Roster, RotationKind
from core.oncall.service import ScheduleSpec

router = APIRouter(tags=["on-call"])

UserId = Annotated[str, Field(min_length=1, max_length=40), NoNul]


class Restriction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: Annotated[list[Day], Field(min_length=1, max_length=7, description="the days it starts on")]
    start: ClockTime
    end: ClockTime = Field(description="an end at or before the start is on the next day; equal: 24 hours")


class Layer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100), NoNul]
    rotation: RotationKind = Field(description="daily, weekly, or custom (every shift_hours)")
    shift_hours: Annotated[int, Field(ge=1, le=MAX_SHIFT_HOURS, strict=True)] | None = Field(
        default=None, description="custom rotations only: the length of a shift, in wall-clock hours"
    )
    handoff_time: ClockTime
    starts_on: date = Field(description="the local date of the first hand-off")
    participants: Annotated[list[UserId], Field(min_length=1, max_length=MAX_PARTICIPANTS)] = Field(
        description="user ids, in the order their shifts come"
    )
    restrictions: Annotated[list[Restriction], Field(max_length=50)] = Field(
        default_factory=list, description="weekly intervals (local time) the layer covers; empty: always"
    )


class Override(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: UserId
    starts_at: Instant
    ends_at: Instant
    replaces_user_id: UserId | None = Field(
        default=None, description="a shift swap: stands in for this user only; without it, for everyone"
    )


class ScheduleSpecBody(BaseModel):
    """A whole schedule; PUT replaces every field, as POST sets them."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200), NoNul]
    timezone: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        default="UTC", description="IANA time zone in which hand-off times and restrictions are read"
    )
    layers: Annotated[list[Layer], Field(min_length=1, max_length=20)] = Field(
        description="lowest first: the highest layer with someone on call wins"
    )
    overrides: Annotated[list[Override], Field(max_length=500)] = Field(
        default_factory=list, description="beat the layers; where overrides overlap, the later one wins"
    )

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone_named(value)
        return value

    @model_validator(mode="after")
    def _usable(self) -> ScheduleSpecBody:
        Roster.parse(timezone=self.timezone, layers=self.stored_layers(), overrides=self.stored_overrides())
        return self

    def stored_layers(self) -> list[dict[str, Any]]:
        return [layer.model_dump(mode="json") for layer in self.layers]

    def stored_overrides(self) -> list[dict[str, Any]]:
        return [o.model_dump(mode="json") for o in self.overrides]

    def spec(self) -> ScheduleSpec:
        return ScheduleSpec(
            name=self.name,
            timezone=self.timezone,
            layers=self.stored_layers(),
            overrides=self.stored_overrides(),
        )


class ScheduleCreate(ScheduleSpecBody):
    company_id: Annotated[str, Field(min_length=1, max_length=40), NoNul]


class LayerNow(BaseModel):
    layer: str
    user_id: str | None = Field(description="null: nobody in this layer now (not started, or restricted)")
    until: datetime | None = Field(
        description="when the layer's answer changes next; null: not within a year"
    )


class OnCallNow(BaseModel):
    user_id: str | None
    until: datetime | None = Field(description="when someone else takes over; null: not within a year")
    by_override: bool = Field(description="an override or shift swap, not the rotation, decides it")
    layers: list[LayerNow]


class SchedulePublic(BaseModel):
    id: str
    company_id: str
    name: str
    timezone: str
    layers: list[Layer]
    overrides: list[Override]
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    on_call_now: OnCallNow | None = Field(description="null when the stored schedule is unusable")


class ScheduleNowPublic(OnCallNow):
    schedule_id: str
    name: str
    timezone: str


class CompanyOnCallPublic(BaseModel):
    company_id: str
    at: datetime
    user_ids: list[str] = Field(description="everyone on call now over all schedules, who can take incidents")
    schedules: list[ScheduleNowPublic]


def _now_public(on_call: OnCall) -> OnCallNow:
    return OnCallNow(
        user_id=on_call.user_id,
        until=on_call.until,
        by_override=on_call.by_override,
        layers=[LayerNow(layer=n.layer, user_id=n.user_id, until=n.until) for n in on_call.layers],
    )


def to_public(schedule: OncallSchedule, at: datetime) -> SchedulePublic:
    now = schedule_now(schedule, at).on_call
    return SchedulePublic(
        id=schedule.id,
        company_id=schedule.company_id,
        name=schedule.name,
        timezone=schedule.timezone,
        layers=[Layer.model_validate(layer) for layer in schedule.layers],
        overrides=[Override.model_validate(o) for o in schedule.overrides],
        created_by=schedule.created_by,
        created_at=schedule.created_at,
        updated_at=schedule.updated_at,
        on_call_now=None if now is None else _now_public(now),
    )


async def _scoped_schedule(
    schedule_id: PathId, principal: CurrentPrincipal, session: SessionDep
) -> OncallSchedule:
    return await owned_or_404(session, principal, OncallSchedule, schedule_id, "schedule")


# The `{schedule_id}` of the path, loaded if it belongs to one of the caller's companies, else 404.
ScopedSchedule = Annotated[OncallSchedule, Depends(_scoped_schedule)]


@router.get("/api/schedules", response_model=list[SchedulePublic])
async def list_schedules(
    principal: CanReadOncall,
    session: SessionDep,
    company_id: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
) -> list[SchedulePublic]:
    """The schedules of the caller's companies, by company and name, each with who it has on call now."""
    query = scoped(select(OncallSchedule), col(OncallSchedule.company_id), principal)
    if company_id is not None:
        query = query.where(OncallSchedule.company_id == company_id)
    query = query.order_by(col(OncallSchedule.company_id), col(OncallSchedule.name), col(OncallSchedule.id))
    now = datetime.now(UTC)
    return [to_public(s, now) for s in (await session.execute(query)).scalars()]


@router.post("/api/schedules", response_model=SchedulePublic, status_code=201)
async def create_schedule(
    principal: CanManageOncall, body: ScheduleCreate, session: SessionDep
) -> SchedulePublic:
    """Everyone named must be an active member of the company (or msp staff), else 422."""
    company = await company_or_404(session, principal, body.company_id)
    schedule = await oncall.create_schedule(session, principal.actor, company.id, body.spec())
    return to_public(schedule, datetime.now(UTC))


@router.get("/api/schedules/{schedule_id}", response_model=SchedulePublic)
async def get_schedule(principal: CanReadOncall, schedule: ScopedSchedule) -> SchedulePublic:
    return to_public(schedule, datetime.now(UTC))


@router.put("/api/schedules/{schedule_id}", response_model=SchedulePublic)
async def replace_schedule(
    principal: CanManageOncall, schedule: ScopedSchedule, body: ScheduleSpecBody, session: SessionDep
) -> SchedulePublic:
    """Replaces the whole schedule (send every field, as for POST); its company stays. Overrides and shift
    swaps are part of it."""
    replaced = await oncall.replace_schedule(session, principal.actor, schedule, body.spec())
    return to_public(replaced, datetime.now(UTC))


@router.delete("/api/schedules/{schedule_id}", status_code=204)
async def delete_schedule(
    principal: CanManageOncall, schedule: ScopedSchedule, session: SessionDep
) -> Response:
    await oncall.delete(session, principal.actor, schedule)
    return Response(status_code=204)


@router.get("/api/oncall/{company_id}/now", response_model=CompanyOnCallPublic)
async def company_on_call_now(
    principal: CanReadOncall, company: ScopedCompany, session: SessionDep
) -> CompanyOnCallPublic:
    """Who is on call for the company now: per schedule (per layer and overall, each until when), and
    everyone together, as new incidents are assigned from."""
    now = datetime.now(UTC)
    schedules = [
        ScheduleNowPublic(
            schedule_id=n.schedule.id,
            name=n.schedule.name,
            timezone=n.schedule.timezone,
            **_now_public(n.on_call).model_dump(),
        )
        for n in await on_call_now(session, company.id, now)
        if n.on_call is not None
    ]
    return CompanyOnCallPublic(
        company_id=company.id,
        at=now,
        user_ids=await on_call_user_ids(session, company.id, now),
        schedules=schedules,
    )
