"""Hands alerts that were stored but never reached an incident (API crash, Temporal or worker down) to
their incident workflows again. Safe to repeat: membership is decided once, in the database.

Both activities heartbeat every few seconds while they work, and the workflows give them a short heartbeat
timeout: when the worker running one dies, another worker takes the work over within seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.db.models import Alert
from core.errors import RoutingFailed
from core.ingest.intake import purge_deliveries
from core.ingest.replay import purge_used_signatures
from core.ingest.undelivered import FailedDelivery, alert_ref, claim_unrouted, record_failures
from workflows.types import ForwardAlerts, RedeliveryRequest, RedeliveryResult

if TYPE_CHECKING:
    # Handed in by the worker. The dispatch starts and signals incident workflows, whose code refers to
    # these activities: a run-time import would close that loop.
    from core.companies.directory import CompanyDirectory
    from core.ingest.dispatch import AlertDispatch
    from core.ingest.routing import RoutedAlert

log = logging.getLogger(__name__)

HEARTBEAT_EVERY_S = 2.0


@contextlib.asynccontextmanager
async def _heartbeating(every_s: float = HEARTBEAT_EVERY_S) -> AsyncIterator[None]:
    """Heartbeats while the block runs, so that a dead worker is noticed by its silence, not a timeout."""

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(every_s)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Redelivery:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        directory: CompanyDirectory,
        dispatch: AlertDispatch,
    ) -> None:
        self._sessions = sessions
        self._directory = directory
        self._dispatch = dispatch

    @activity.defn(name="redeliver_unrouted_alerts")
    async def redeliver_unrouted_alerts(self, req: RedeliveryRequest) -> RedeliveryResult:
        """One pass over the backlog, a page at a time, each company's oldest alerts first."""
        started = datetime.now(UTC)
        received_before = started - timedelta(seconds=req.older_than_s)
        result = RedeliveryResult()
        async with _heartbeating():
            async with self._sessions() as session, session.begin():
                cutoff = started - timedelta(hours=req.delivery_id_retention_hours)
                result.purged_deliveries = await purge_deliveries(session, cutoff)
                await purge_used_signatures(session, started)
            while result.redelivered < req.limit:
                page_size = min(req.page_size, req.limit - result.redelivered)
                async with self._sessions() as session, session.begin():
                    alerts = await claim_unrouted(session, received_before, started, page_size)
                if not alerts:
                    break
                await self._redeliver_page(alerts, req.max_attempts, result)
                activity.heartbeat(result.redelivered)
                if len(alerts) < page_size:
                    break
        if result.redelivered:
            log.info(
                "redelivered %d alert(s) that reached no incident: %d routed, %d failed, %d undeliverable",
                result.redelivered,
                result.routed,
                result.failed,
                result.quarantined,
            )
        return result

    async def _redeliver_page(self, alerts: list[Alert], max_attempts: int, result: RedeliveryResult) -> None:
        sending: list[tuple[str, asyncio.Future[RoutedAlert]]] = []
        failures: list[FailedDelivery] = []
        for alert in alerts:
            try:
                company = await self._directory.by_id(alert.company_id)
                if company is None:
                    raise ValueError(f"company {alert.company_id} no longer exists")
                ref = alert_ref(alert)
            except ValueError as err:
                failures.append(FailedDelivery(alert.id, f"cannot be routed: {err}", counts=True))
                continue
            sending.append((alert.id, self._dispatch.send(company, alert.aggregation_key, ref)))
        outcomes = await asyncio.gather(*(future for _, future in sending), return_exceptions=True)
        for (alert_id, _), outcome in zip(sending, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                transient = isinstance(outcome, asyncio.CancelledError) or (
                    isinstance(outcome, RoutingFailed) and outcome.transient
                )
                failures.append(FailedDelivery(alert_id, f"routing failed: {outcome}", counts=not transient))
        result.redelivered += len(alerts)
        result.failed += len(failures)
        result.routed += len(alerts) - len(failures)
        if failures:
            async with self._sessions() as session, session.begin():
                result.quarantined += await record_failures(session, failures, max_attempts)

    @activity.defn(name="forward_alerts")
    async def forward_alerts(self, req: ForwardAlerts) -> None:
        company = await self._directory.by_id(req.company_id)
        if company is None:
            raise ApplicationError(f"company {req.company_id} no longer exists", non_retryable=True)
        async with _heartbeating():
            await self._dispatch.forward(company, req.aggregation_key, req.alerts)
