"""The redelivery loop on the time-skipping server: a pass per interval, continue-as-new, new settings."""

from __future__ import annotations

import uuid

import pytest
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

import workflows.redelivery
from tests.support.stack import eventually
from workflows.redelivery import RedeliveryLoopWorkflow
from workflows.types import RedeliveryLoopInput, RedeliveryRequest, RedeliveryResult, RedeliverySettings


async def test_the_loop_passes_every_interval_continues_as_new_and_takes_new_settings(
    skipping_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workflows.redelivery, "PASSES_PER_RUN", 3)  # unsandboxed: the worker sees it
    passes: list[RedeliveryRequest] = []

    @activity.defn(name="redeliver_unrouted_alerts")
    async def redeliver(req: RedeliveryRequest) -> RedeliveryResult:
        passes.append(req)
        return RedeliveryResult(redelivered=2, routed=1, failed=1)

    task_queue = f"loop-{uuid.uuid4().hex[:8]}"
    client = skipping_env.client
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[RedeliveryLoopWorkflow],
        activities=[redeliver],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        first_run = await client.start_workflow(
            RedeliveryLoopWorkflow.run,
            RedeliveryLoopInput(settings=RedeliverySettings(interval_s=15)),
            id=f"alert-redelivery-{task_queue}",
            task_queue=task_queue,
        )
        await skipping_env.sleep(15 * 4 + 5)
        await eventually(lambda: _count(passes), lambda n: n >= 5)
        run_one = client.get_workflow_handle(first_run.id, run_id=first_run.first_execution_run_id)
        assert (await run_one.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW
        latest = client.get_workflow_handle(first_run.id)
        assert (await latest.describe()).status == WorkflowExecutionStatus.RUNNING

        wanted = RedeliverySettings(interval_s=600, request=RedeliveryRequest(max_attempts=9))
        await latest.signal(RedeliveryLoopWorkflow.configure, wanted)
        assert await eventually(lambda: latest.query(RedeliveryLoopWorkflow.current_settings), wanted.__eq__)
        await eventually(lambda: _count(passes), lambda n: passes[-1].max_attempts == 9)
        # Woken by the new settings, it now waits 600 s between passes.
        seen = len(passes)
        await skipping_env.sleep(300)
        assert len(passes) == seen
        await skipping_env.sleep(310)
        await eventually(lambda: _count(passes), lambda n: n == seen + 1)
        await latest.terminate()


async def _count(items: list[RedeliveryRequest]) -> int:
    return len(items)
