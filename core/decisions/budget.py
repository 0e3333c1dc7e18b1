"""LLM tokens against budgets: per decision (from the usage the SDK reports) and per company per UTC day
(table llm_usage: checked before a provider is asked, charged after, dry runs included)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db.models import LlmUsage, table_of
from core.db.upsert import dialect_of, insert_for


def utc_day(now: datetime) -> str:
    return now.date().isoformat()


class DailyBudget:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], company_id: str, tokens_per_day: int
    ) -> None:
        self._sessions = sessions
        self._company_id = company_id
        self.tokens_per_day = tokens_per_day

    async def spent(self, now: datetime) -> int:
        async with self._sessions() as session:
            row = await session.get(LlmUsage, (self._company_id, utc_day(now)))
            return row.tokens if row is not None else 0

    async def charge(self, tokens: int, now: datetime) -> int:
        """Adds `tokens` to today's total and returns the new total."""
        table = table_of(LlmUsage)
        async with self._sessions() as session, session.begin():
            stmt = insert_for(dialect_of(session), table).values(
                company_id=self._company_id, day=utc_day(now), tokens=tokens
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["company_id", "day"], set_={"tokens": table.c.tokens + stmt.excluded.tokens}
            ).returning(table.c.tokens)
            total: int = (await session.execute(stmt)).scalar_one()
            return total
