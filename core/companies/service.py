"""Creating companies and their API keys: shared by the CLI, the dev seed and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from core.companies.secrets import CompanySecrets
from core.db.models import Company, CompanyApiKey
from core.security import api_key_hash, new_api_key
from workflows.policy import CompanyPolicy
from workflows.types import CorrelationPolicy

API_KEY_SHOWN_PREFIX = 10  # characters of a key kept in clear, so people can tell their keys apart


@dataclass(frozen=True)
class IssuedCompany:
    """A new company with its credentials in clear text: shown once, never stored that way."""

    id: str
    api_key: str
    hmac_secret: str
    api_key_id: str


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
