"""Makes a signature that does not cover the delivery id single-use: within its timestamp window it is
good for the delivery id it first came with (so a retry still answers as a duplicate) and for no other.

The claim is an INSERT ... ON CONFLICT DO NOTHING keyed by company and signature digest, so two API
processes racing with one captured request cannot both win: PostgreSQL makes the second insert wait
for the first to commit, and SQLite has one writer at a time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db.micro_batch import MicroBatcher
from core.db.models import UsedWebhookSignature, table_of
from core.db.upsert import dialect_of, insert_for

SIGNATURES = table_of(UsedWebhookSignature)


@dataclass(frozen=True)
class SignatureUse:
    company_id: str
    signature: str
    delivery_id: str | None  # the X-Delivery-ID header as sent
    expires_at: datetime  # when the timestamp check alone refuses the signature

    @property
    def key(self) -> tuple[str, str]:
        return (self.company_id, _digest(self.signature))

    @property
    def delivery_digest(self) -> str:
        return _digest(self.delivery_id) if self.delivery_id is not None else ""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


@lru_cache(maxsize=4)
def _claim(dialect: str) -> Any:
    return (
        insert_for(dialect, SIGNATURES)
        .on_conflict_do_nothing()
        .returning(SIGNATURES.c.company_id, SIGNATURES.c.signature_digest)
    )


class UsedSignatures:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._claims: MicroBatcher[SignatureUse, bool] = MicroBatcher(self._claim_batch)

    async def claim(self, use: SignatureUse) -> bool:
        """False when the signature was already used with another delivery id."""
        return await self._claims.submit(use)

    async def _claim_batch(self, uses: list[SignatureUse]) -> list[bool]:
        first_of: dict[tuple[str, str], SignatureUse] = {}
        for use in uses:
            first_of.setdefault(use.key, use)
        async with self._sessions() as session, session.begin():
            rows = [
                {
                    "company_id": company_id,
                    "signature_digest": digest,
                    "delivery_digest": use.delivery_digest,
                    "expires_at": use.expires_at,
                }
                for (company_id, digest), use in first_of.items()
            ]
            inserted = await session.execute(_claim(dialect_of(session)), rows)
            fresh = {(c, d) for c, d in inserted}
            owner = {key: use.delivery_digest for key, use in first_of.items() if key in fresh}
            seen_before = [key for key in first_of if key not in fresh]
            if seen_before:
                found = await session.execute(
                    select(
                        SIGNATURES.c.company_id, SIGNATURES.c.signature_digest, SIGNATURES.c.delivery_digest
                    ).where(tuple_(SIGNATURES.c.company_id, SIGNATURES.c.signature_digest).in_(seen_before))
                )
                owner.update({(c, d): delivery for c, d, delivery in found})
        return [owner.get(use.key) == use.delivery_digest for use in uses]


async def purge_used_signatures(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(SIGNATURES).where(SIGNATURES.c.expires_at < now))
    return int(getattr(result, "rowcount", 0) or 0)
