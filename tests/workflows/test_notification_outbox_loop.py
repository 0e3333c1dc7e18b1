"""The notification outbox's loop on the time-skipping server, with a stand-in pass: a failed pass is retried,
passes follow each other, the loop continues as new and takes a starting worker's settings."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

import workflows.notifications.outbox
from tests.support.stack import eventually
from workflows.notifications.outbox import NotificationOutboxWorkflow, notification_outbox_workflow_id
from workflows.notifications.types import OutboxLoopInput, OutboxWatch, OutboxWatchResult


async def test_the_loop_retries_a_failed_pass_continues_as_new_and_takes_new_settings(
    skipping_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workflows.notifications.outbox, "PASSES_PER_RUN", 2)  # unsandboxed: seen
    passes: list[OutboxWatch] = []
    permits: asyncio.Queue[None] = asyncio.Queue()

    @activity.defn(name="dispatch_notification_outbox")
    async def dispatch_outbox(req: OutboxWatch) -> OutboxWatchResult:
        passes.append(req)
        if len(passes) == 1:
            raise RuntimeError("the database is away")
        await permits.get()  # a pass lasts until the test lets it end
        return OutboxWatchResult(dispatched=2)

    task_queue = f"outbox-{uuid.uuid4().hex[:8]}"
    client = skipping_env.client
    first = OutboxWatch(seconds=60, poll_s=0.5)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[NotificationOutboxWorkflow],
        activities=[dispatch_outbox],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        started = await client.start_workflow(
            NotificationOutboxWorkflow.run,
            OutboxLoopInput(watch=first),
            id=notification_outbox_workflow_id(task_queue),
            task_queue=task_queue,
        )
        await eventually(lambda: _count(passes), lambda n: n == 2)  # the failed pass, retried
        permits.put_nowait(None)
        await eventually(lambda: _count(passes), lambda n: n == 3)  # the next pass, at once
        latest = client.get_workflow_handle(started.id)
        wanted = OutboxWatch(seconds=120, poll_s=2)
        await latest.signal(NotificationOutboxWorkflow.configure, wanted)
        assert await eventually(lambda: latest.query(NotificationOutboxWorkflow.current_watch), wanted.__eq__)
        permits.put_nowait(None)
        # Two passes done: the run continued as new, and its next pass runs with the new settings.
        await eventually(lambda: _count(passes), lambda n: n == 4)
        assert passes == [first, first, first, wanted]
        run_one = client.get_workflow_handle(started.id, run_id=started.first_execution_run_id)
        assert (await run_one.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW
        assert (await latest.describe()).status == WorkflowExecutionStatus.RUNNING
        await latest.terminate()


async def _count(items: list[OutboxWatch]) -> int:
    return len(items)
