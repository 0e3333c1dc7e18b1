"""A company's new policy, told to its open incidents: their SLA timers re-arm at once."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from temporalio.client import Client
from temporalio.service import RPCError

from core.db.models import Incident
from workflows.incident.workflow import IncidentWorkflow
from workflows.types import OPEN_STATUSES, CorrelationPolicy

log = logging.getLogger(__name__)
# Signals in flight at once: a company with thousands of open incidents must not flood the frontend.
CONCURRENT_SIGNALS = 20


async def push_policy(
    session: AsyncSession, client: Client, company_id: str, policy: CorrelationPolicy
) -> int:
    """Signals every open incident of the company; returns how many took it. An incident that ended
    meanwhile needs nothing."""
    rows = await session.execute(
        select(Incident.id).where(
            Incident.company_id == company_id, col(Incident.status).in_([s.value for s in OPEN_STATUSES])
        )
    )
    ids = list(rows.scalars())
    gate = asyncio.Semaphore(CONCURRENT_SIGNALS)

    async def tell(incident_id: str) -> bool:
        async with gate:
            try:
                await client.get_workflow_handle(incident_id).signal(IncidentWorkflow.policy_changed, policy)
            except RPCError as err:
                log.info("incident %s did not take the new policy: %s", incident_id, err.message)
                return False
            return True

    return sum(await asyncio.gather(*(tell(i) for i in ids)))
