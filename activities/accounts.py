"""Creating companies, their API keys and users: shared by the CLI, the dev seed and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from activities.company_secrets import CompanySecrets
from activities.db.models import Company, CompanyApiKey, User, UserCompany
from activities.secrets import api_key_hash, hash_password, new_api_key
from workflows.types import CorrelationPolicy, Severity

API_KEY_SHOWN_PREFIX = 10  # characters of a key kept in clear, so people can tell their keys apart


class Role(StrEnum):
    msp_admin = "msp_admin"
    company_admin = "company_admin"
    technician = "technician"


class RiskTolerance(StrEnum):
    """The riskiest runbook that may run without a human approving it; `none`: every runbook waits."""

    none = "none"
    low = "low"
    medium = "medium"
    high = "high"


class SlaTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    response_minutes: int = Field(ge=1, le=7 * 24 * 60, description="time to acknowledge")
    resolution_minutes: int = Field(ge=1, le=30 * 24 * 60, description="time to resolve")

    @model_validator(mode="after")
    def _resolution_after_response(self) -> SlaTarget:
        if self.resolution_minutes < self.response_minutes:
            raise ValueError("resolution_minutes must not be shorter than response_minutes")
        return self


class CompanyPolicy(CorrelationPolicy):
    """A company's whole policy. Correlation reads only its `CorrelationPolicy` fields."""

    model_config = ConfigDict(extra="forbid")

    risk_tolerance: RiskTolerance = RiskTolerance.low
    sla_overrides: dict[Severity, SlaTarget] = Field(
        default_factory=dict, description="per severity; severities not listed use the MSP's defaults"
    )


@dataclass(frozen=True)
class IssuedCompany:
    """A new company with its credentials in clear text: shown once, never stored that way."""

    id: str
    api_key: str
    hmac_secret: str
    api_key_id: str


class AccountError(ValueError):
    """A request about accounts that cannot be carried out as asked (HTTP 422)."""


class EmailTaken(AccountError):
    """Another user already has this email (HTTP 409)."""


class CompanyInUse(AccountError):
    """The company still has data that refers to it (HTTP 409)."""


async def create_company(
    session: AsyncSession,
    secrets: CompanySecrets,
    name: str,
    *,
    policy: CorrelationPolicy | None = None,
    critical_assets: list[str] | None = None,
    assets: list[dict[str, Any]] | None = None,
    monitoring_integrations: list[dict[str, Any]] | None = None,
    integration_settings: dict[str, Any] | None = None,
) -> IssuedCompany:
    company = Company(
        name=name,
        policy=(policy or CompanyPolicy()).model_dump(mode="json"),
        critical_assets=critical_assets or [],
        assets=assets or [],
        monitoring_integrations=monitoring_integrations or [],
        integration_settings=integration_settings or {},
    )
    hmac_secret = await secrets.issue(company)
    session.add(company)
    await session.flush()
    key, api_key = issue_api_key(session, company.id)
    await session.flush()
    return IssuedCompany(id=company.id, api_key=api_key, hmac_secret=hmac_secret, api_key_id=key.id)


def issue_api_key(
    session: AsyncSession, company_id: str, *, expires_at: datetime | None = None
) -> tuple[CompanyApiKey, str]:
    """A new key (the row, and the key in clear text to show once); only its hash is stored."""
    api_key = new_api_key()
    row = CompanyApiKey(
        company_id=company_id,
        key_hash=api_key_hash(api_key),
        prefix=api_key[:API_KEY_SHOWN_PREFIX],
        expires_at=expires_at,
    )
    session.add(row)
    return row, api_key


async def retire_api_keys(
    session: AsyncSession, company_id: str, at: datetime, *, keep: str | None = None
) -> list[CompanyApiKey]:
    """Makes the company's keys (but `keep`) expire at `at`, or sooner if they already would."""
    rows = await session.execute(select(CompanyApiKey).where(CompanyApiKey.company_id == company_id))
    retired = []
    for key in rows.scalars():
        if key.id == keep or (key.expires_at is not None and key.expires_at <= at):
            continue
        key.expires_at = at
        retired.append(key)
    return retired


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    role: Role,
    company_ids: list[str],
    name: str = "",
    category: str | None = None,
) -> User:
    email = email.strip().lower()
    if len(password) < 8:
        raise AccountError("password must have at least 8 characters")
    if role != Role.msp_admin and not company_ids:
        raise AccountError(f"a {role.value} belongs to at least one company (--company ID)")
    if (await session.execute(select(User).where(User.email == email))).first():
        raise EmailTaken(f"a user with email {email} already exists")
    for company_id in company_ids:
        if await session.get(Company, company_id) is None:
            raise AccountError(f"no company with id {company_id}")
    user = User(
        email=email, name=name, password_hash=hash_password(password), role=role.value, category=category
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        # Another request took the email between our check and this insert.
        raise EmailTaken(f"a user with email {email} already exists") from None
    for company_id in company_ids:
        session.add(UserCompany(user_id=user.id, company_id=company_id))
    await session.flush()
    return user
