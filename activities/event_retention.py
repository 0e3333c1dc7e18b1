"""The event outbox's retention: deletes events older than the retention, a batch per transaction."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from core.events.outbox import purge_events
from workflows.types import EventPurgeRequest, EventPurgeResult

log = logging.getLogger(__name__)


class EventRetention:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn(name="purge_expired_events")
    async def purge_expired_events(self, req: EventPurgeRequest) -> EventPurgeResult:
        """Short transactions, a heartbeat after each: writers of new events wait for one batch at most,
        and a retried pass simply carries on where the last one stopped."""
        cutoff = datetime.now(UTC) - timedelta(days=req.retention_days)
        result = EventPurgeResult()
        while True:
            async with self._sessions() as session, session.begin():
                deleted = await purge_events(session, cutoff, limit=req.batch_size)
            result.purged += deleted
            result.batches += 1
            activity.heartbeat(result.purged)
            if deleted < req.batch_size:
                break
        if result.purged:
            log.info(
                "purged %d event(s) older than %s in %d batch(es)", result.purged, cutoff, result.batches
            )
        return result
