"""Escalation chains of client companies: whom an incident nobody answers reaches, level by level
(docs/oncall.md). One per company; a company without one escalates along the default chain, which
`GET /api/escalation-chains?company_id=` shows as `default: true` with no id.

The levels' rules are core's (`core/oncall/escalation.py`); the writes and their audit are
`core/oncall/service.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlmodel import col, select

from api.deps import CurrentPrincipal, SessionDep
from api.fields import NO_NUL, NoNul
from api.permissions import CanManageOncall, CanReadOncall
from api.tenancy import PathId, company_or_404, owned_or_404, scoped
from core.accounts.roles import Role
from core.db.models import EscalationChain
from core.oncall import service as oncall
from core.oncall.escalation import DEFAULT_LEVELS, MAX_LEVELS, MAX_NAMED_USERS, MAX_WAIT_MINUTES, parse_levels
from core.oncall.service import ChainSpec

router = APIRouter(prefix="/api/escalation-chains", tags=["escalation chains"])

UserId = Annotated[str, Field(min_length=1, max_length=40), NoNul]


class Notify(BaseModel):
    model_config = ConfigDict(extra="forbid")

    oncall: bool = Field(default=False, strict=True, description="whoever is on call for the company now")
    user_ids: Annotated[list[UserId], Field(max_length=MAX_NAMED_USERS)] = Field(default_factory=list)
    roles: Annotated[list[Role], Field(max_length=3)] = Field(
        default_factory=list,
        description="every active user of the role: the company's company_admins or technicians; "
        "msp_admin: the MSP's administrators",
    )


class Level(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Annotated[int, Field(ge=1, le=MAX_LEVELS, strict=True)]
    notify: Notify
    wait_minutes: Annotated[int, Field(ge=0, le=MAX_WAIT_MINUTES, strict=True)] = Field(
        description="how long to wait for an answer before the next level (on the last: before reminding it)"
    )
    reassign: bool = Field(
        default=False, strict=True, description="hand the incident to the level's first user"
    )


class ChainSpecBody(BaseModel):
    """A whole chain; PUT replaces every field, as POST sets them."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200), NoNul]
    levels: Annotated[list[Level], Field(min_length=1, max_length=MAX_LEVELS)] = Field(
        description="numbered 1, 2, … in order"
    )

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @model_validator(mode="after")
    def _usable(self) -> ChainSpecBody:
        parse_levels(self.stored_levels())
        return self

    def stored_levels(self) -> list[dict[str, Any]]:
        return [level.model_dump(mode="json") for level in self.levels]

    def spec(self) -> ChainSpec:
        return ChainSpec(name=self.name, levels=self.stored_levels())


class ChainCreate(ChainSpecBody):
    company_id: Annotated[str, Field(min_length=1, max_length=40), NoNul]


class ChainPublic(BaseModel):
    id: str | None = Field(description="null for the default chain, which is not stored")
    company_id: str
    name: str
    levels: list[Level]
    default: bool = Field(description="the default chain, which the company escalates along without its own")
    created_by: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


def to_public(chain: EscalationChain) -> ChainPublic:
    return ChainPublic(
        id=chain.id,
        company_id=chain.company_id,
        name=chain.name,
        levels=[Level.model_validate(level) for level in chain.levels],
        default=False,
        created_by=chain.created_by,
        created_at=chain.created_at,
        updated_at=chain.updated_at,
    )


def default_chain(company_id: str) -> ChainPublic:
    return ChainPublic(
        id=None,
        company_id=company_id,
        name="Default",
        levels=[Level.model_validate(level.stored()) for level in DEFAULT_LEVELS],
        default=True,
    )


async def _scoped_chain(
    chain_id: PathId, principal: CurrentPrincipal, session: SessionDep
) -> EscalationChain:
    return await owned_or_404(session, principal, EscalationChain, chain_id, "escalation chain")


# The `{chain_id}` of the path, loaded if it belongs to one of the caller's companies, else 404.
ScopedChain = Annotated[EscalationChain, Depends(_scoped_chain)]


@router.get("", response_model=list[ChainPublic])
async def list_escalation_chains(
    principal: CanReadOncall,
    session: SessionDep,
    company_id: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
) -> list[ChainPublic]:
    """The chains of the caller's companies, by company. With `company_id`, that company's chain: its own,
    or the default one it escalates along."""
    query = scoped(select(EscalationChain), col(EscalationChain.company_id), principal)
    if company_id is not None:
        await company_or_404(session, principal, company_id)
        query = query.where(EscalationChain.company_id == company_id)
    chains = [
        to_public(c)
        for c in (await session.execute(query.order_by(col(EscalationChain.company_id)))).scalars()
    ]
    if company_id is not None and not chains:
        return [default_chain(company_id)]
    return chains


@router.post("", response_model=ChainPublic, status_code=201)
async def create_escalation_chain(
    principal: CanManageOncall, body: ChainCreate, session: SessionDep
) -> ChainPublic:
    """One per company (409 if it has one); everyone named must be an active member of it (or msp staff)."""
    company = await company_or_404(session, principal, body.company_id)
    return to_public(await oncall.create_chain(session, principal.actor, company.id, body.spec()))


@router.get("/{chain_id}", response_model=ChainPublic)
async def get_escalation_chain(principal: CanReadOncall, chain: ScopedChain) -> ChainPublic:
    return to_public(chain)


@router.put("/{chain_id}", response_model=ChainPublic)
async def replace_escalation_chain(
    principal: CanManageOncall, chain: ScopedChain, body: ChainSpecBody, session: SessionDep
) -> ChainPublic:
    """Replaces the whole chain; its company stays. Escalations under way take the next level from it."""
    return to_public(await oncall.replace_chain(session, principal.actor, chain, body.spec()))


@router.delete("/{chain_id}", status_code=204)
async def delete_escalation_chain(
    principal: CanManageOncall, chain: ScopedChain, session: SessionDep
) -> Response:
    """The company escalates along the default chain again."""
    await oncall.delete(session, principal.actor, chain)
    return Response(status_code=204)
