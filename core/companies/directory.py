"""Finds the company behind an API key (or id) with what ingestion needs, cached for a few seconds.

Every API process keeps its own cache. A change to credentials (a key revoked, a secret rotated, a
company changed) bumps one version stamp in the database in the change's own transaction; each
process reads that stamp at most every `recheck_s` and empties its cache when it moved, so a revoked
key stops working on every process within about half a second, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime

from cachetools import TTLCache
from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from core.companies.context import CompanyContext
from core.companies.integration_settings import IntegrationSettings
from core.companies.secrets import CompanySecrets
from core.db.models import Company, CompanyApiKey, CredentialsStamp, utcnow
from core.security import api_key_hash
from workflows.types import CorrelationPolicy


@dataclass(frozen=True)
class CompanyCredentials:
    context: CompanyContext
    current_secret: str | None
    previous_secret: str | None = None
    previous_valid_until: datetime | None = None
    key_expires_at: datetime | None = None

    @property
    def hmac_secrets(self) -> list[str]:
        """The current secret, plus the previous one while its rotation grace period lasts.

        Checked on every use, so a cached entry stops accepting the previous secret on time."""
        secrets = [self.current_secret] if self.current_secret else []
        until = self.previous_valid_until
        if self.previous_secret and until is not None and until > utcnow():
            secrets.append(self.previous_secret)
        return secrets


def company_context(company: Company) -> CompanyContext:
    return CompanyContext(
        id=company.id,
        name=company.name,
        policy=CorrelationPolicy.model_validate(company.policy or {}),
        critical_assets=frozenset(company.critical_assets or []),
        integrations=IntegrationSettings.stored(company.integration_settings),
    )


async def mark_credentials_changed(session: AsyncSession) -> None:
    """Call in the transaction that changes credentials: every API process drops its cache once it
    commits."""
    await session.execute(
        update(CredentialsStamp)
        .where(col(CredentialsStamp.id) == 1)
        .values(version=col(CredentialsStamp.version) + 1)
    )


class CompanyDirectory:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        secrets: CompanySecrets,
        ttl_s: float = 10.0,
        recheck_s: float = 0.5,
    ) -> None:
        self._sessions = sessions
        self._secrets = secrets
        self._by_key: TTLCache[str, CompanyCredentials | None] = TTLCache(maxsize=50_000, ttl=ttl_s)
        self._by_id: TTLCache[str, CompanyContext | None] = TTLCache(maxsize=50_000, ttl=ttl_s)
        self._recheck_s = recheck_s
        self._stamp: int | None = None
        self._stamp_read_at = -float("inf")
        self._stamp_lock = asyncio.Lock()
        # Moves on every forget(): a lookup that began before one must not refill the cache after it.
        self._epoch = 0

    async def _drop_cache_if_credentials_changed(self) -> None:
        if time.monotonic() - self._stamp_read_at < self._recheck_s:
            return
        async with self._stamp_lock:  # one read for all the requests that found the stamp stale
            if time.monotonic() - self._stamp_read_at < self._recheck_s:
                return
            read_at = time.monotonic()
            async with self._sessions() as session:
                stamp = (
                    await session.execute(select(CredentialsStamp.version).where(CredentialsStamp.id == 1))
                ).scalar_one_or_none()
            if stamp != self._stamp:
                self.forget()
                self._stamp = stamp
            self._stamp_read_at = read_at

    async def by_api_key(self, api_key: str) -> CompanyCredentials | None:
        await self._drop_cache_if_credentials_changed()
        digest = api_key_hash(api_key)
        if digest in self._by_key:
            cached = self._by_key[digest]
            # An expiring key (rotated with a grace period) stops on time, not up to a TTL later.
            if cached is None or cached.key_expires_at is None or cached.key_expires_at > utcnow():
                return cached
            return None
        epoch = self._epoch
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(Company, CompanyApiKey.expires_at)
                    .join(CompanyApiKey, col(CompanyApiKey.company_id) == col(Company.id))
                    .where(
                        CompanyApiKey.key_hash == digest,
                        or_(
                            col(CompanyApiKey.expires_at).is_(None), col(CompanyApiKey.expires_at) > utcnow()
                        ),
                    )
                )
            ).one_or_none()
        found = None
        if row is not None:
            company, key_expires_at = row
            current, previous = await self._secrets.valid_secrets(company)
            found = CompanyCredentials(
                company_context(company), current, previous, company.hmac_previous_expires_at, key_expires_at
            )
        if epoch == self._epoch:
            self._by_key[digest] = found
        return found

    async def by_id(self, company_id: str) -> CompanyContext | None:
        await self._drop_cache_if_credentials_changed()
        if company_id in self._by_id:
            return self._by_id[company_id]
        epoch = self._epoch
        async with self._sessions() as session:
            company = await session.get(Company, company_id)
        found = company_context(company) if company else None
        if epoch == self._epoch:
            self._by_id[company_id] = found
        return found

    def forget(self) -> None:
        self._epoch += 1
        self._by_key.clear()
        self._by_id.clear()
