"""Runs one pass of the redelivery schedule's workflow on a test stack's own worker, on demand."""

from __future__ import annotations

import uuid

from tests.support.stack import Stack
from workflows.redelivery import AlertRedeliveryWorkflow
from workflows.types import RedeliveryRequest, RedeliveryResult


async def redeliver_once(
    stack: Stack, *, older_than_s: int = 1, retention_hours: int = 24
) -> RedeliveryResult:
    """What the schedule would do on its next tick, without waiting for one."""
    result: RedeliveryResult = await stack.client.execute_workflow(
        AlertRedeliveryWorkflow.run,
        RedeliveryRequest(older_than_s=older_than_s, delivery_id_retention_hours=retention_hours),
        id=f"redelivery-once-{uuid.uuid4().hex[:10]}",
        task_queue=stack.settings.task_queue,
    )
    return result
