"""A company's webhook credentials on an actor's behalf: API keys issued and revoked, HMAC secret
rotated, each audited and seen by every API process once committed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.actor import Actor
from core.companies.directory import CompanyDirectory
from core.companies.secrets import CompanySecrets
from core.companies.service import audit_change, commit_credentials_change, issue_api_key, retire_api_keys
from core.db.models import Company, CompanyApiKey, utcnow


@dataclass(frozen=True)
class IssuedKey:
    """A new key's row, and the key in clear text: shown once, never stored that way."""

    key: CompanyApiKey
    api_key: str
    issued_at: datetime


async def rotate_hmac_secret(
    session: AsyncSession,
    secrets: CompanySecrets,
    directory: CompanyDirectory,
    actor: Actor,
    company: Company,
    grace_hours: int,
) -> str:
    """The new HMAC secret; the replaced one keeps verifying for `grace_hours`, the one before that
    stops at once."""
    secret = await secrets.rotate(company, timedelta(hours=grace_hours))
    await audit_change(
        session,
        actor,
        "company.hmac_secret.rotate",
        company.id,
        after={
            "grace_hours": grace_hours,
            "previous_valid_until": iso(company.hmac_previous_expires_at),
        },
    )
    await commit_credentials_change(session, directory)
    return secret


async def issue_key(
    session: AsyncSession,
    directory: CompanyDirectory,
    actor: Actor,
    company: Company,
    *,
    expires_in_days: int | None = None,
    revoke_existing: bool = False,
    grace_hours: int | None = None,
) -> IssuedKey:
    """A new API key. The company's other keys keep working unless `revoke_existing` (at once) or
    `grace_hours` (that much later) says when they stop."""
    now = utcnow()
    expires_at = now + timedelta(days=expires_in_days) if expires_in_days else None
    key, api_key = issue_api_key(session, company.id, expires_at=expires_at)
    await session.flush()
    retired: list[CompanyApiKey] = []
    if revoke_existing or grace_hours is not None:
        retire_at = now + timedelta(hours=grace_hours or 0)
        retired = await retire_api_keys(session, company.id, retire_at, keep=key.id)
    await audit_change(
        session,
        actor,
        "company.api_key.issue",
        company.id,
        object_type="api_key",
        object_id=key.id,
        after={
            "prefix": key.prefix,
            "expires_at": iso(key.expires_at),
            "retired": [{"id": k.id, "prefix": k.prefix, "expires_at": iso(k.expires_at)} for k in retired],
        },
    )
    await commit_credentials_change(session, directory)
    return IssuedKey(key, api_key, now)


async def revoke_key(
    session: AsyncSession, directory: CompanyDirectory, actor: Actor, company: Company, key: CompanyApiKey
) -> None:
    """The key stops working at once and is gone (the audit trail keeps its prefix)."""
    before = {"prefix": key.prefix, "created_at": iso(key.created_at), "expires_at": iso(key.expires_at)}
    key_id = key.id
    await session.delete(key)
    await audit_change(
        session,
        actor,
        "company.api_key.revoke",
        company.id,
        object_type="api_key",
        object_id=key_id,
        before=before,
    )
    await commit_credentials_change(session, directory)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
