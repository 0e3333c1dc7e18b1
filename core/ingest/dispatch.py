"""Routes a stored alert to its incident and records why, when it deliberately joins none."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.companies.context import CompanyContext
from core.db.micro_batch import MicroBatcher
from core.db.models import CorrelationHead, table_of
from core.ingest.intake import AlertIntake
from core.ingest.routing import AlertRouter, HeadLookup, RoutedAlert
from workflows.types import AlertRef

HEADS = table_of(CorrelationHead)


def head_lookup(sessions: async_sessionmaker[AsyncSession]) -> HeadLookup:
    """The newest generation per key. Every new key asks, so concurrent asks share one query."""

    async def lookup_batch(keys: list[tuple[str, str]]) -> list[int | None]:
        async with sessions() as session:
            rows = await session.execute(
                select(HEADS.c.company_id, HEADS.c.aggregation_key, HEADS.c.generation).where(
                    tuple_(HEADS.c.company_id, HEADS.c.aggregation_key).in_(set(keys))
                )
            )
            found = {(company_id, key): generation for company_id, key, generation in rows}
        return [found.get(k) for k in keys]

    batcher: MicroBatcher[tuple[str, str], int | None] = MicroBatcher(lookup_batch)

    async def lookup(company_id: str, key: str) -> int | None:
        return await batcher.submit((company_id, key))

    return lookup


class AlertDispatch:
    def __init__(self, router: AlertRouter, intake: AlertIntake) -> None:
        self._router = router
        self._intake = intake
        self._background: set[asyncio.Task[None]] = set()

    def send(self, company: CompanyContext, key: str, alert: AlertRef) -> asyncio.Future[RoutedAlert]:
        routed = self._router.route(company, key, alert)
        routed.add_done_callback(lambda f: self._after_routing(alert.id, f))
        return routed

    async def forward(self, company: CompanyContext, key: str, alerts: list[AlertRef]) -> list[RoutedAlert]:
        results = await self._router.deliver_authoritatively(company, key, alerts)
        for alert, result in zip(alerts, results, strict=True):
            if result.disposition:
                await self._intake.set_disposition(alert.id, result.disposition)
        return results

    def _after_routing(self, alert_id: str, future: asyncio.Future[RoutedAlert]) -> None:
        if future.cancelled() or future.exception() is not None:
            return  # stays unrouted in the database; redelivery picks it up
        disposition = future.result().disposition
        if disposition:
            task = asyncio.create_task(self._intake.set_disposition(alert_id, disposition))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
