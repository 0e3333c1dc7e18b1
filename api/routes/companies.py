"""Client companies and their settings (credentials: api/routes/company_credentials.py); the writes and
their audit are core's, `core/companies/service.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlmodel import col, select

from api.deps import ServicesDep, SessionDep
from api.fields import NoNul
from api.permissions import (
    CanCreateCompanies,
    CanDeleteCompanies,
    CanReadCompanies,
    CanUpdateCompanies,
)
from api.tenancy import ScopedCompany, scoped
from core.companies import service as companies
from core.companies.integration_settings import IntegrationSettings
from core.companies.service import CompanyChanges
from core.db.models import Company
from core.incidents.policy_push import push_policy
from workflows.policy import CompanyPolicy
from workflows.types import CorrelationPolicy

router = APIRouter(prefix="/api/companies", tags=["companies"])


def _strip_not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


class Asset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str, Field(min_length=1, max_length=255, description="as alerts name it (asset_name)"), NoNul
    ]
    asset_id: Annotated[str, Field(max_length=255), NoNul] | None = None
    kind: Annotated[str, Field(max_length=60, description="server, database, network, …"), NoNul] | None = (
        None
    )
    tags: list[Annotated[str, Field(max_length=100), NoNul]] = Field(default_factory=list, max_length=50)
    instance_ids: list[Annotated[str, Field(min_length=1, max_length=64), NoNul]] = Field(
        default_factory=list,
        max_length=50,
        description="instances an SSM runbook runs on for this asset; none: its asset_id, if an EC2 id",
    )

    _name = field_validator("name")(_strip_not_blank)


class MonitoringIntegration(BaseModel):
    """A tool that sends this company's alerts (no credentials here: tools sign with the company's)."""

    model_config = ConfigDict(extra="forbid")

    tool: Annotated[
        str, Field(min_length=1, max_length=100, description="as alerts name it (tool_source)"), NoNul
    ]
    name: Annotated[str, Field(max_length=200), NoNul] = ""
    enabled: bool = True

    _tool = field_validator("tool")(_strip_not_blank)


Name = Annotated[str, Field(min_length=1, max_length=200), NoNul]
CriticalAssets = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=255), NoNul]], Field(max_length=1000)
]
Assets = Annotated[list[Asset], Field(max_length=5000)]
Integrations = Annotated[list[MonitoringIntegration], Field(max_length=100)]


class CompanyBase(BaseModel):
    name: str
    policy: CompanyPolicy = Field(default_factory=CompanyPolicy)
    critical_assets: list[str] = Field(default_factory=list)
    assets: list[Asset] = Field(default_factory=list)
    monitoring_integrations: list[MonitoringIntegration] = Field(default_factory=list)
    integration_settings: IntegrationSettings = Field(
        default_factory=IntegrationSettings,
        description="how the native endpoints (Alertmanager, Datadog, CloudWatch) read this company's alerts",
    )


class CompanyCreate(CompanyBase):
    model_config = ConfigDict(extra="forbid")

    name: Name
    critical_assets: CriticalAssets = Field(default_factory=list)
    assets: Assets = Field(default_factory=list)
    monitoring_integrations: Integrations = Field(default_factory=list)

    _name = field_validator("name")(_strip_not_blank)


class CompanyUpdate(BaseModel):
    """Only the fields sent change; `policy`, when sent, replaces the whole policy."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    policy: CompanyPolicy | None = None
    critical_assets: CriticalAssets | None = None
    assets: Assets | None = None
    monitoring_integrations: Integrations | None = None
    integration_settings: IntegrationSettings | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else _strip_not_blank(value)

    @model_validator(mode="after")
    def _no_nulls(self) -> CompanyUpdate:
        nulls = sorted(f for f in self.model_fields_set if getattr(self, f) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null; leave a field out to keep it")
        return self


class CompanyPublic(CompanyBase):
    id: str
    secret_backend: str
    hmac_previous_valid_until: datetime | None = Field(
        description="until then the HMAC secret before the last rotation still verifies"
    )
    created_at: datetime


class CompanyCreated(CompanyPublic):
    """The only time the API key and HMAC secret are shown: store them now."""

    api_key_id: str
    api_key: str
    hmac_secret: str


def to_public(company: Company) -> CompanyPublic:
    return CompanyPublic(
        id=company.id,
        name=company.name,
        # Only the fields we know: a policy written by an older version may carry others.
        policy=CompanyPolicy.model_validate(
            {k: v for k, v in (company.policy or {}).items() if k in CompanyPolicy.model_fields}
        ),
        critical_assets=company.critical_assets or [],
        assets=[Asset.model_validate(a) for a in company.assets or []],
        monitoring_integrations=[
            MonitoringIntegration.model_validate(i) for i in company.monitoring_integrations
        ],
        integration_settings=IntegrationSettings.stored(company.integration_settings),
        secret_backend=company.secret_backend,
        hmac_previous_valid_until=company.hmac_previous_expires_at,
        created_at=company.created_at,
    )


@router.get("", response_model=list[CompanyPublic])
async def list_companies(principal: CanReadCompanies, session: SessionDep) -> list[CompanyPublic]:
    query = scoped(select(Company), Company.id, principal).order_by(col(Company.name), col(Company.id))
    return [to_public(c) for c in (await session.execute(query)).scalars()]


@router.post("", response_model=CompanyCreated, status_code=201)
async def create_company(
    principal: CanCreateCompanies,
    body: CompanyCreate,
    session: SessionDep,
    services: ServicesDep,
) -> CompanyCreated:
    created = await companies.create(
        session,
        services.secrets,
        services.directory,
        principal.actor,
        body.name,
        policy=body.policy,
        critical_assets=body.critical_assets,
        assets=[a.model_dump(mode="json") for a in body.assets],
        monitoring_integrations=[i.model_dump(mode="json") for i in body.monitoring_integrations],
        integration_settings=body.integration_settings.model_dump(mode="json"),
    )
    return CompanyCreated(
        **to_public(created.company).model_dump(),
        api_key_id=created.issued.api_key_id,
        api_key=created.issued.api_key,
        hmac_secret=created.issued.hmac_secret,
    )


@router.get("/{company_id}", response_model=CompanyPublic)
async def get_company(principal: CanReadCompanies, company: ScopedCompany) -> CompanyPublic:
    return to_public(company)


@router.put("/{company_id}", response_model=CompanyPublic)
async def update_company(
    principal: CanUpdateCompanies,
    company: ScopedCompany,
    body: CompanyUpdate,
    session: SessionDep,
    services: ServicesDep,
) -> CompanyPublic:
    """Changes the fields sent; alerts from now on follow the new policy."""
    changes = CompanyChanges(**body.model_dump(mode="json", exclude_unset=True))
    updated = await companies.update(session, services.directory, principal.actor, company, changes)
    if body.policy is not None:  # open incidents re-arm their SLA timers under the new targets
        policy = CorrelationPolicy.model_validate(updated.policy or {})
        await push_policy(session, services.temporal, updated.id, policy)
    return to_public(updated)


@router.delete("/{company_id}", status_code=204, responses={409: {"description": "the company has data"}})
async def delete_company(
    principal: CanDeleteCompanies,
    company: ScopedCompany,
    session: SessionDep,
    services: ServicesDep,
) -> Response:
    """Deletes a company that has no alerts or incidents: one created by mistake, or not yet in use.

    A company with alerts or incidents answers 409 and stays: its history (and the audit trail that
    refers to it) must remain readable, and running incident workflows belong to it. To stop such a
    company's intake, revoke its API keys. The delete removes its API keys, its user memberships (the
    users remain, in their other companies) and its HMAC secret (in Secrets Manager: recoverable for a
    week). Nothing is soft-deleted because the schema has no archived state for companies.
    """
    await companies.delete(session, services.secrets, services.directory, principal.actor, company)
    return Response(status_code=204)
