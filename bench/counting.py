"""Reads the database to see when accepted alerts are counted in their incidents, and what the incidents
decided and ran."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text

from core.db.engine import create_engine, session_factory
from core.security import api_key_hash
from workflows.remediation.types import ACTIVE_REMEDIATION

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
DECISIONS_BY_ACTION = text(
    "SELECT action, count(*) FROM decision WHERE company_id = :c AND asset_name LIKE :p GROUP BY action"
)
RUNS_BY_STATUS = text(
    "SELECT status, count(*) FROM remediation_run WHERE company_id = :c AND asset_name LIKE :p"
    " GROUP BY status"
)
# A JSON column may hold SQL NULL or JSON null for "none".
_NONE = "coalesce(CAST({} AS TEXT), 'null') = 'null'"
# Visible open incidents that have not decided yet: a decision is still to come.
UNDECIDED = text(
    "SELECT count(*) FROM incident WHERE company_id = :c AND asset_name LIKE :p"
    " AND status IN ('new', 'in_progress', 'escalated') AND " + _NONE.format("decision")
)
INCIDENT_IDS = text(
    "SELECT id, NOT " + _NONE.format("remediation") + " FROM incident"
    " WHERE company_id = :c AND asset_name LIKE :p ORDER BY id LIMIT :n"
)
# The phase's assignment notices (written with their incidents) and what became of their email; the
# company's notices still in the notification outbox, for its dispatcher to send.
ASSIGNMENT_NOTICES = text(
    "SELECT count(*) FROM notification n JOIN incident i ON i.id = n.incident_id"
    " WHERE i.company_id = :c AND i.asset_name LIKE :p AND n.kind = 'assignment'"
)
EMAIL_DELIVERIES = text(
    "SELECT d.status, count(*) FROM notification_delivery d"
    " JOIN notification n ON n.notification_key = d.notification_key AND n.user_id = d.user_id"
    " JOIN incident i ON i.id = n.incident_id"
    " WHERE i.company_id = :c AND i.asset_name LIKE :p AND n.kind = 'assignment' AND d.channel = 'email'"
    " GROUP BY d.status"
)
OUTBOXED = text("SELECT count(*) FROM notification_outbox WHERE company_id = :c")
ACTIVE_RUN_STATUSES = frozenset(s.value for s in ACTIVE_REMEDIATION)
# Decisions follow alerts within milliseconds; counts that stay put this long, with no run active and
# no visible incident undecided, are taken as settled.
SETTLED_QUIET_S = 0.5


@dataclass(frozen=True)
class Counts:
    attached: int  # alerts of the phase with an incident
    incidents: int
    alert_sum: int  # sum of alert_count over the phase's incidents

    def covers(self, accepted: int) -> bool:
        # Every alert the benchmark sends is firing, so both must equal what the API accepted.
        return self.attached == accepted and self.alert_sum == accepted


@dataclass(frozen=True)
class DecisionCounts:
    decisions: dict[str, int]  # by action
    runs: dict[str, int]  # by status
    undecided: int  # visible open incidents without a decision

    @property
    def active_runs(self) -> int:
        return sum(n for status, n in self.runs.items() if status in ACTIVE_RUN_STATUSES)

    @property
    def settled(self) -> bool:
        return self.undecided == 0 and self.active_runs == 0


@dataclass(frozen=True)
class NoticeCounts:
    assignments: int  # in-app assignment notices of the phase's incidents
    email: dict[str, int]  # their email deliveries by status
    outboxed: int  # the company's notices still to dispatch


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

    async def decision_counts(self, prefix: str) -> DecisionCounts:
        params = {"c": self.company_id, "p": f"{prefix}-%"}
        async with self._sessions() as session:
            decisions = (await session.execute(DECISIONS_BY_ACTION, params)).all()
            runs = (await session.execute(RUNS_BY_STATUS, params)).all()
            undecided = (await session.execute(UNDECIDED, params)).scalar_one()
        return DecisionCounts(
            decisions={str(a): int(n) for a, n in decisions},
            runs={str(s): int(n) for s, n in runs},
            undecided=int(undecided),
        )

    async def wait_settled(self, prefix: str, timeout_s: float) -> tuple[DecisionCounts, float | None]:
        """Polls until every visible incident of the phase has decided and no run is active, with the
        counts unchanged for SETTLED_QUIET_S; the counts, and when they first stood (None: timed out)."""
        deadline = time.perf_counter() + timeout_s
        last, since = await self.decision_counts(prefix), time.perf_counter()
        while True:
            await asyncio.sleep(POLL_S)
            counts = await self.decision_counts(prefix)
            now = time.perf_counter()
            if counts != last:
                last, since = counts, now
            elif counts.settled and now - since >= SETTLED_QUIET_S:
                return counts, since
            if now > deadline:
                return counts, None

    async def wait_notified(self, prefix: str, timeout_s: float) -> tuple[NoticeCounts, float | None]:
        """Polls until the company's notification outbox is empty: the phase's assignment notices are
        dispatched (their email and Slack sent, skipped or failed). The counts, and since when."""
        params = {"c": self.company_id, "p": f"{prefix}-%"}
        deadline = time.perf_counter() + timeout_s
        while True:
            async with self._sessions() as session:
                outboxed = int((await session.execute(OUTBOXED, params)).scalar_one())
                if outboxed == 0 or time.perf_counter() > deadline:
                    notices = int((await session.execute(ASSIGNMENT_NOTICES, params)).scalar_one())
                    emails = (await session.execute(EMAIL_DELIVERIES, params)).all()
                    counts = NoticeCounts(notices, {str(s): int(n) for s, n in emails}, outboxed)
                    return counts, time.perf_counter() if outboxed == 0 else None
            await asyncio.sleep(POLL_S)

    async def incident_ids(self, prefix: str, limit: int) -> list[tuple[str, bool]]:
        """Up to `limit` incidents of the phase: (id, whether it proposed a runbook run)."""
        params = {"c": self.company_id, "p": f"{prefix}-%", "n": limit}
        async with self._sessions() as session:
            rows = (await session.execute(INCIDENT_IDS, params)).all()
        return [(str(i), bool(r)) for i, r in rows]
