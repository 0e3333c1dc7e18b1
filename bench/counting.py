"""Reads the database to see when accepted alerts are counted in their incidents."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text

from core.db.engine import create_engine, session_factory
from core.security import api_key_hash

POLL_S = 0.05

# Each phase sends assets under its own prefix, so counts ignore other traffic to the same company.
ATTACHED_ALERTS = text(
    "SELECT count(*) FROM alert WHERE company_id = :c AND asset_name LIKE :p AND incident_id IS NOT NULL"
)
INCIDENT_TOTALS = text(
    "SELECT count(*), coalesce(sum(alert_count), 0) FROM incident"
    " WHERE company_id = :c AND asset_name LIKE :p"
)
INCIDENTS_FOR_KEY = text(
    "SELECT count(*) FROM incident WHERE company_id = :c AND asset_name = :a AND signature = :s"
)
COMPANY_BY_KEY = text("SELECT company_id FROM company_api_key WHERE key_hash = :h")


@dataclass(frozen=True)
class Counts:
    attached: int  # alerts of the phase with an incident
    incidents: int
    alert_sum: int  # sum of alert_count over the phase's incidents

    def covers(self, accepted: int) -> bool:
        # Every alert the benchmark sends is firing, so both must equal what the API accepted.
        return self.attached == accepted and self.alert_sum == accepted


@dataclass(frozen=True)
class CountResult:
    counts: Counts
    # perf_counter() when a poll first saw every alert counted: late by at most one poll interval.
    counted_at: float | None


class IncidentCounter:
    def __init__(self, database_url: str, company_id: str) -> None:
        self._engine = create_engine(database_url)
        self._sessions = session_factory(self._engine)
        self.company_id = company_id

    @classmethod
    async def for_api_key(cls, database_url: str, api_key: str) -> IncidentCounter:
        """For a stack the benchmark did not start: its company is the one the API key belongs to."""
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session:
                company_id = (await session.execute(COMPANY_BY_KEY, {"h": api_key_hash(api_key)})).scalar()
        finally:
            await engine.dispose()
        if company_id is None:
            raise SystemExit("no company in --database-url has that --api-key")
        return cls(database_url, str(company_id))

    async def close(self) -> None:
        await self._engine.dispose()

    async def counts(self, prefix: str) -> Counts:
        params = {"c": self.company_id, "p": f"{prefix}-%"}
        async with self._sessions() as session:
            attached = (await session.execute(ATTACHED_ALERTS, params)).scalar_one()
            incidents, alert_sum = (await session.execute(INCIDENT_TOTALS, params)).one()
        return Counts(attached=int(attached), incidents=int(incidents), alert_sum=int(alert_sum))

    async def incidents_for_key(self, asset_name: str, signature: str) -> int:
        params = {"c": self.company_id, "a": asset_name, "s": signature}
        async with self._sessions() as session:
            return int((await session.execute(INCIDENTS_FOR_KEY, params)).scalar_one())

    async def wait_counted(
        self, prefix: str, accepted: int, timeout_s: float, progress: Callable[[int], None]
    ) -> CountResult:
        """Polls until every accepted alert is attached and summed in an incident, or the timeout."""
        deadline = time.perf_counter() + timeout_s
        while True:
            counts = await self.counts(prefix)
            progress(min(counts.attached, counts.alert_sum))
            if counts.covers(accepted):
                return CountResult(counts, time.perf_counter())
            if time.perf_counter() > deadline:
                return CountResult(counts, None)
            await asyncio.sleep(POLL_S)
