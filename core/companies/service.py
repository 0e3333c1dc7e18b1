"""Creating companies and their API keys (shared by the CLI, the dev seed and the API), and the audited
create, update and delete of a company on an actor's behalf. Credentials later on: `credentials.py`."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import delete as delete_rows
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core.accounts.actor import Actor
from core.audit import record
from core.companies.directory import CompanyDirectory, mark_credentials_changed
from core.companies.secrets import CompanySecrets
from core.db.models import (
    Alert,
    Company,
    CompanyApiKey,
    EscalationChain,
    Incident,
    MaintenanceWindow,
    OncallSchedule,
    Runbook,
    UserCompany,
)
from core.errors import CompanyInUse
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


@dataclass(frozen=True)
class CompanyChanges:
    """New values of the settings sent, as stored (JSON); None: left out, the setting stays."""

    name: str | None = None
    policy: dict[str, Any] | None = None
    critical_assets: list[str] | None = None
    assets: list[dict[str, Any]] | None = None
    monitoring_integrations: list[dict[str, Any]] | None = None
    integration_settings: dict[str, Any] | None = None


SETTINGS_FIELDS = tuple(f.name for f in fields(CompanyChanges))


@dataclass(frozen=True)
class CreatedCompany:
    company: Company
    issued: IssuedCompany


async def create(
    session: AsyncSession,
    secrets: CompanySecrets,
    directory: CompanyDirectory,
    actor: Actor,
    name: str,
    *,
    policy: CorrelationPolicy,
    critical_assets: list[str],
    assets: list[dict[str, Any]],
    monitoring_integrations: list[dict[str, Any]],
    integration_settings: dict[str, Any],
) -> CreatedCompany:
    """The new company and its first credentials, committed with its audit entry."""
    issued = await create_company(
        session,
        secrets,
        name,
        policy=policy,
        critical_assets=critical_assets,
        assets=assets,
        monitoring_integrations=monitoring_integrations,
        integration_settings=integration_settings,
    )
    company = await session.get(Company, issued.id)
    assert company is not None
    after = {**_settings_of(company), "secret_backend": company.secret_backend}
    await audit_change(session, actor, "company.create", company.id, after=after)
    await commit_credentials_change(session, directory)
    return CreatedCompany(company, issued)


async def update(
    session: AsyncSession,
    directory: CompanyDirectory,
    actor: Actor,
    company: Company,
    changes: CompanyChanges,
) -> Company:
    """`company` with `changes` made and audited; alerts from now on follow the new policy."""
    sent = {f: getattr(changes, f) for f in SETTINGS_FIELDS if getattr(changes, f) is not None}
    before = {f: getattr(company, f) for f in sent if getattr(company, f) != sent[f]}
    for field in before:
        setattr(company, field, sent[field])
    if before:
        after = {f: sent[f] for f in before}
        await audit_change(session, actor, "company.update", company.id, before=before, after=after)
    await commit_credentials_change(session, directory)
    return company


async def delete(
    session: AsyncSession,
    secrets: CompanySecrets,
    directory: CompanyDirectory,
    actor: Actor,
    company: Company,
) -> None:
    """Deletes a company that has no alerts or incidents (else `CompanyInUse`), with its API keys, user
    memberships, maintenance windows, runbooks, on-call schedules, escalation chain and HMAC secret; the users
    remain, in their other companies."""
    alerts = await _count(session, Alert.company_id, company.id)
    incidents = await _count(session, Incident.company_id, company.id)
    if alerts or incidents:
        raise CompanyInUse(
            f"company {company.id} has {incidents} incidents and {alerts} alerts, which keep referring to "
            "it; revoke its API keys to stop its alerts instead"
        )
    before = {**_settings_of(company), "secret_backend": company.secret_backend}
    for table in (CompanyApiKey, UserCompany, MaintenanceWindow, Runbook, OncallSchedule, EscalationChain):
        await session.execute(delete_rows(table).where(col(table.company_id) == company.id))
    await session.delete(company)
    await session.flush()
    await secrets.discard(company)
    await audit_change(session, actor, "company.delete", company.id, before=before)
    await commit_credentials_change(session, directory)


async def commit_credentials_change(session: AsyncSession, directory: CompanyDirectory) -> None:
    """Commits a change to companies or their credentials, which every API process then reloads."""
    await mark_credentials_changed(session)
    await session.commit()
    # The webhook's directory caches companies for seconds; changes take effect on the next request.
    directory.forget()


async def audit_change(
    session: AsyncSession,
    actor: Actor,
    action: str,
    company_id: str,
    *,
    object_type: str = "company",
    object_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    await record(
        session,
        actor=actor.user_id,
        action=action,
        company_id=company_id,
        object_type=object_type,
        object_id=object_id or company_id,
        before=before,
        after=after,
    )


def _settings_of(company: Company) -> dict[str, Any]:
    return {f: getattr(company, f) for f in SETTINGS_FIELDS}


async def _count(session: AsyncSession, company_column: Any, company_id: str) -> int:
    query = select(func.count()).where(company_column == company_id)
    return int((await session.execute(query)).scalar_one())
