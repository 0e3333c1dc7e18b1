"""Finds the company behind an API key (or id) with what ingestion needs, cached for a few seconds."""

from __future__ import annotations

from dataclasses import dataclass

from cachetools import TTLCache
from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from activities.alert_routing import CompanyContext
from activities.db.models import Company, CompanyApiKey, utcnow
from activities.secrets import SecretBox, api_key_hash
from workflows.types import CorrelationPolicy


@dataclass(frozen=True)
class CompanyCredentials:
    context: CompanyContext
    # The current secret, plus the previous one during its rotation grace period.
    hmac_secrets: list[str]


def company_context(company: Company) -> CompanyContext:
    return CompanyContext(
        id=company.id,
        name=company.name,
        policy=CorrelationPolicy.model_validate(company.policy or {}),
        critical_assets=frozenset(company.critical_assets or []),
    )


class CompanyDirectory:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], box: SecretBox, ttl_s: float = 10.0
    ) -> None:
        self._sessions = sessions
        self._box = box
        self._by_key: TTLCache[str, CompanyCredentials | None] = TTLCache(maxsize=50_000, ttl=ttl_s)
        self._by_id: TTLCache[str, CompanyContext | None] = TTLCache(maxsize=50_000, ttl=ttl_s)

    async def by_api_key(self, api_key: str) -> CompanyCredentials | None:
        digest = api_key_hash(api_key)
        if digest in self._by_key:
            return self._by_key[digest]
        async with self._sessions() as session:
            company = (
                await session.execute(
                    select(Company)
                    .join(CompanyApiKey, col(CompanyApiKey.company_id) == col(Company.id))
                    .where(
                        CompanyApiKey.key_hash == digest,
                        or_(
                            col(CompanyApiKey.expires_at).is_(None), col(CompanyApiKey.expires_at) > utcnow()
                        ),
                    )
                )
            ).scalar_one_or_none()
        found = None
        if company is not None:
            found = CompanyCredentials(company_context(company), self._hmac_secrets(company))
        self._by_key[digest] = found
        return found

    def _hmac_secrets(self, company: Company) -> list[str]:
        secrets = [self._box.decrypt(company.hmac_secret_encrypted)] if company.hmac_secret_encrypted else []
        grace_until = company.hmac_previous_expires_at
        if company.hmac_previous_encrypted and grace_until and grace_until > utcnow():
            secrets.append(self._box.decrypt(company.hmac_previous_encrypted))
        return secrets

    async def by_id(self, company_id: str) -> CompanyContext | None:
        if company_id in self._by_id:
            return self._by_id[company_id]
        async with self._sessions() as session:
            company = await session.get(Company, company_id)
        found = company_context(company) if company else None
        self._by_id[company_id] = found
        return found

    def forget(self) -> None:
        self._by_key.clear()
        self._by_id.clear()
