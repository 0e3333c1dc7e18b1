"""Starts one pass of the redelivery schedule's workflow on a test stack's own worker, on demand."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from temporalio.client import WorkflowHandle

from tests.support.stack import Stack
from workflows.redelivery import AlertRedeliveryWorkflow
from workflows.types import RedeliveryRequest, RedeliveryResult


async def start_redelivery(
    stack: Stack, *, older_than_s: int = 1, retention_hours: int = 24
) -> WorkflowHandle[AlertRedeliveryWorkflow, RedeliveryResult]:
    """What the schedule would do on its next tick, without waiting for one. Not awaited: a pass covers
    the whole shared database, and alerts other tests left unrouted may keep it busy; assert on this
    test's own rows instead."""
    return await stack.client.start_workflow(
        AlertRedeliveryWorkflow.run,
        RedeliveryRequest(older_than_s=older_than_s, delivery_id_retention_hours=retention_hours),
        id=f"redelivery-once-{uuid.uuid4().hex[:10]}",
        task_queue=stack.settings.task_queue,
    )


async def abandon_unrouted(stack: Stack, company_id: str) -> None:
    """Keeps alerts a test deliberately left unrouted out of later tests' redelivery passes, whose
    incidents' workers are gone by then."""
    async with stack.services.sessions() as session, session.begin():
        await session.execute(
            text(
                "UPDATE alert SET disposition = 'abandoned_by_test' "
                "WHERE company_id = :c AND incident_id IS NULL AND disposition IS NULL"
            ),
            {"c": company_id},
        )
