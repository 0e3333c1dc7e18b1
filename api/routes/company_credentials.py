"""A company's webhook credentials: API keys (issued, listed, revoked) and HMAC secret rotation; the
writes and their audit are core's, `core/companies/credentials.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from api.deps import ServicesDep, SessionDep
from api.permissions import CanManageCredentials
from api.tenancy import PathId, ScopedCompany, not_found
from core.companies import credentials
from core.db.models import CompanyApiKey, utcnow

router = APIRouter(prefix="/api/companies", tags=["companies"])

MAX_GRACE_HOURS = 168


class HmacRotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_hours: int = Field(
        24, ge=0, le=MAX_GRACE_HOURS, description="how long the replaced secret still verifies; 0: not at all"
    )


class HmacRotated(BaseModel):
    """The new secret, shown this once."""

    hmac_secret: str
    previous_valid_until: datetime | None


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revoke_existing: bool = Field(False, description="the company's other keys stop working")
    grace_hours: int | None = Field(
        None,
        ge=0,
        le=MAX_GRACE_HOURS,
        description="the other keys stop working after this many hours (implies revoke_existing)",
    )
    expires_in_days: int | None = Field(None, ge=1, le=3650, description="the new key's own lifetime")


class ApiKeyPublic(BaseModel):
    id: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    active: bool


class ApiKeyIssued(ApiKeyPublic):
    """The only time the key is shown: store it now."""

    api_key: str


def _key_public(key: CompanyApiKey, now: datetime) -> ApiKeyPublic:
    return ApiKeyPublic(
        id=key.id,
        prefix=key.prefix,
        created_at=key.created_at,
        expires_at=key.expires_at,
        active=key.expires_at is None or key.expires_at > now,
    )


@router.post("/{company_id}/hmac-secret/rotate", response_model=HmacRotated)
async def rotate_hmac_secret(
    principal: CanManageCredentials,
    company: ScopedCompany,
    session: SessionDep,
    services: ServicesDep,
    body: Annotated[HmacRotation | None, Body()] = None,
) -> HmacRotated:
    """A new HMAC secret, shown once. The replaced one keeps verifying for `grace_hours`, so senders
    can switch without failed deliveries; the one before that stops at once."""
    grace_hours = (body or HmacRotation()).grace_hours
    secret = await credentials.rotate_hmac_secret(
        session, services.secrets, services.directory, principal.actor, company, grace_hours
    )
    return HmacRotated(hmac_secret=secret, previous_valid_until=company.hmac_previous_expires_at)


@router.get("/{company_id}/api-keys", response_model=list[ApiKeyPublic])
async def list_api_keys(
    principal: CanManageCredentials, company: ScopedCompany, session: SessionDep
) -> list[ApiKeyPublic]:
    rows = await session.execute(
        select(CompanyApiKey)
        .where(CompanyApiKey.company_id == company.id)
        .order_by(col(CompanyApiKey.created_at).desc(), col(CompanyApiKey.id))
    )
    now = utcnow()
    return [_key_public(key, now) for key in rows.scalars()]


@router.post("/{company_id}/api-keys", response_model=ApiKeyIssued, status_code=201)
async def issue_company_api_key(
    principal: CanManageCredentials,
    company: ScopedCompany,
    session: SessionDep,
    services: ServicesDep,
    body: Annotated[ApiKeyCreate | None, Body()] = None,
) -> ApiKeyIssued:
    """A new API key, shown once. The company's other keys keep working unless `revoke_existing` or
    `grace_hours` says when they stop."""
    body = body or ApiKeyCreate()
    issued = await credentials.issue_key(
        session,
        services.directory,
        principal.actor,
        company,
        expires_in_days=body.expires_in_days,
        revoke_existing=body.revoke_existing,
        grace_hours=body.grace_hours,
    )
    return ApiKeyIssued(**_key_public(issued.key, issued.issued_at).model_dump(), api_key=issued.api_key)


@router.delete("/{company_id}/api-keys/{key_id}", status_code=204)
async def revoke_api_key(
    principal: CanManageCredentials,
    company: ScopedCompany,
    key_id: PathId,
    session: SessionDep,
    services: ServicesDep,
) -> Response:
    """The key stops working at once and leaves the list (the audit trail keeps its prefix)."""
    key = await session.get(CompanyApiKey, key_id)
    if key is None or key.company_id != company.id:
        raise not_found("API key", key_id)
    await credentials.revoke_key(session, services.directory, principal.actor, company, key)
    return Response(status_code=204)
