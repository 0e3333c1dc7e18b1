"""Hands alerts that were stored but never reached an incident (API crash, Temporal or worker down) to
their incident workflows again. Safe to repeat: membership is decided once, in the database."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.db.models import Alert
from core.ingest.intake import purge_deliveries, unrouted_alerts
from core.ingest.replay import purge_used_signatures
from workflows.types import (
    AlertRef,
    AlertStatus,
    ForwardAlerts,
    RedeliveryRequest,
    RedeliveryResult,
    Severity,
)

if TYPE_CHECKING:
    # Handed in by the worker. The dispatch starts and signals incident workflows, whose code refers to
    # these activities: a run-time import would close that loop.
    from core.companies.directory import CompanyDirectory
    from core.ingest.dispatch import AlertDispatch

log = logging.getLogger(__name__)


def alert_ref(alert: Alert) -> AlertRef:
    return AlertRef(
        id=alert.id,
        received_at=alert.received_at,
        severity=Severity(alert.severity),
        status=AlertStatus(alert.status),
        tool_source=alert.tool_source,
        fingerprint=alert.fingerprint,
        asset_name=alert.asset_name,
        asset_id=alert.asset_id,
        signature=alert.signature,
        category=alert.category,
        summary=alert.message[:200],
    )


class Redelivery:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], directory: CompanyDirectory, dispatch: AlertDispatch
    ) -> None:
        self._sessions = sessions
        self._directory = directory
        self._dispatch = dispatch

    @activity.defn(name="redeliver_unrouted_alerts")
    async def redeliver_unrouted_alerts(self, req: RedeliveryRequest) -> RedeliveryResult:
        now = datetime.now(UTC)
        async with self._sessions() as session, session.begin():
            purged = await purge_deliveries(session, now - timedelta(hours=req.delivery_id_retention_hours))
            await purge_used_signatures(session, now)
        async with self._sessions() as session:
            alerts = await unrouted_alerts(session, now - timedelta(seconds=req.older_than_s), req.limit)
        result = RedeliveryResult(redelivered=len(alerts), purged_deliveries=purged)
        if not alerts:
            return result
        log.info("redelivering %d alert(s) that reached no incident", len(alerts))
        futures = []
        for alert in alerts:
            company = await self._directory.by_id(alert.company_id)
            if company is None:
                continue
            futures.append(self._dispatch.send(company, alert.aggregation_key, alert_ref(alert)))
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
        result.failed = sum(isinstance(o, BaseException) for o in outcomes)
        result.routed = len(outcomes) - result.failed
        return result

    @activity.defn(name="forward_alerts")
    async def forward_alerts(self, req: ForwardAlerts) -> None:
        company = await self._directory.by_id(req.company_id)
        if company is None:
            raise ApplicationError(f"company {req.company_id} no longer exists", non_retryable=True)
        await self._dispatch.forward(company, req.aggregation_key, req.alerts)
