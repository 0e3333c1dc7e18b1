"""Purges incident events past their retention, started by a Temporal schedule (one per task queue,
hourly by default; worker/worker.py creates it). A schedule suits an hourly pass: 24 short runs a day
in the Web UI, unlike the redelivery loop's every few seconds."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.event_retention import EventRetention
    from workflows.types import EventPurgeRequest, EventPurgeResult

EVENT_PURGE_ID_PREFIX = "event-purge"


def event_purge_schedule_id(task_queue: str) -> str:
    return f"{EVENT_PURGE_ID_PREFIX}-{task_queue}"


@workflow.defn
class EventPurgeWorkflow:
    @workflow.run
    async def run(self, req: EventPurgeRequest) -> EventPurgeResult:
        result = await workflow.execute_activity_method(
            EventRetention.purge_expired_events,
            req,
            start_to_close_timeout=timedelta(minutes=30),
            # Heartbeats after every batch: a dead worker's pass moves to another worker within a minute.
            heartbeat_timeout=timedelta(minutes=1),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1), maximum_attempts=10),
        )
        workflow.set_current_details(
            f"purged {result.purged} event(s) older than {req.retention_days:g} days "
            f"in {result.batches} batch(es)"
        )
        return result
