"""Each company's enabled maintenance windows, for alert intake, cached for a few seconds per company.

The routes that change windows forget the company's entry in this process at once; other API processes
see a change within the TTL, which is why it is short.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from cachetools import TTLCache
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from core.db.models import MaintenanceWindow
from core.maintenance.matcher import AlertScope, AlertTraits, MaintenanceRule
from core.maintenance.schedule import Schedule

log = logging.getLogger(__name__)

# The disposition of an alert that arrived inside a maintenance window: stored, in no incident, paging no one.
SUPPRESSED = "suppressed"


def schedule_of(window: MaintenanceWindow) -> Schedule:
    return Schedule.parse(
        kind=window.kind,
        timezone=window.timezone,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        weekly=window.weekly or [],
        cron=window.cron,
        duration_minutes=window.duration_minutes,
    )


def rule_of(window: MaintenanceWindow) -> MaintenanceRule:
    scope = AlertScope.of(window.match_assets or [], window.match_signatures or [], window.match_labels)
    return MaintenanceRule(window.id, schedule_of(window), scope)


class MaintenanceWindows:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], ttl_s: float = 5.0) -> None:
        self._sessions = sessions
        self._rules: TTLCache[str, tuple[MaintenanceRule, ...]] = TTLCache(maxsize=50_000, ttl=ttl_s)
        # One query per company however many of its alerts arrive while its entry is loading. The load
        # is a task of its own, so a caller that gives up (client gone) does not fail the others.
        self._loading: dict[str, asyncio.Task[tuple[MaintenanceRule, ...]]] = {}

    async def suppressing(self, company_id: str, alert: AlertTraits, at: datetime) -> str | None:
        """The id of the company's first (oldest) window that is open at `at` and covers `alert`."""
        for rule in await self._rules_of(company_id):
            if rule.suppresses(alert, at):
                return rule.window_id
        return None

    def forget(self, company_id: str) -> None:
        """After a change: the next alert reads the windows afresh, and a load already under way (which
        may have read them before the change) is not cached."""
        self._rules.pop(company_id, None)
        self._loading.pop(company_id, None)

    async def _rules_of(self, company_id: str) -> tuple[MaintenanceRule, ...]:
        cached = self._rules.get(company_id)
        if cached is not None:
            return cached
        loading = self._loading.get(company_id)
        if loading is None:
            loading = asyncio.create_task(self._load_and_cache(company_id))
            self._loading[company_id] = loading
        return await asyncio.shield(loading)

    async def _load_and_cache(self, company_id: str) -> tuple[MaintenanceRule, ...]:
        current = asyncio.current_task()
        try:
            rules = await self._load(company_id)
            if self._loading.get(company_id) is current:
                self._rules[company_id] = rules
            return rules
        finally:
            if self._loading.get(company_id) is current:
                del self._loading[company_id]

    async def _load(self, company_id: str) -> tuple[MaintenanceRule, ...]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(MaintenanceWindow)
                .where(MaintenanceWindow.company_id == company_id, col(MaintenanceWindow.enabled).is_(True))
                .order_by(col(MaintenanceWindow.created_at), col(MaintenanceWindow.id))
            )
            windows = list(rows.scalars())
        rules = []
        for window in windows:
            try:
                rules.append(rule_of(window))
            except ValueError as err:
                # Only the API writes windows, and it validates them; a row edited by hand is skipped, loudly.
                log.error("maintenance window %s of %s is unusable, ignored: %s", window.id, company_id, err)
        return tuple(rules)
