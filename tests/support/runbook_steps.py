"""A test-only workflow that runs runbook steps one after another through the real `run_runbook_step`
activity, as the remediation workflow does: a RetryPolicy with back-off, a short heartbeat timeout, and a
non-retryable failure recorded as the step's error. Also runnable as a worker process of its own
(`python -m tests.support.runbook_steps`), for tests that kill it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

with workflow.unsafe.imports_passed_through():
    from activities.runbook_steps import RunbookSteps
    from core.db.engine import create_engine, session_factory
    from core.settings import Settings
    from workflows.remediation.types import StepRequest, StepResult


class RunSteps(BaseModel):
    steps: list[StepRequest]
    heartbeat_timeout_s: float = 15.0
    max_attempts: int = 10


@workflow.defn
class RunStepsWorkflow:
    @workflow.run
    async def run(self, plan: RunSteps) -> list[StepResult]:
        results = []
        for step in plan.steps:
            try:
                result = await workflow.execute_activity_method(
                    RunbookSteps.run_step,
                    step,
                    start_to_close_timeout=timedelta(minutes=5),
                    heartbeat_timeout=timedelta(seconds=plan.heartbeat_timeout_s),
                    retry_policy=RetryPolicy(
                        initial_interval=timedelta(milliseconds=200),
                        backoff_coefficient=2.0,
                        maximum_interval=timedelta(seconds=2),
                        maximum_attempts=plan.max_attempts,
                    ),
                )
            except ActivityError as err:
                cause = err.cause
                reason = (
                    f"{cause.type}: {cause.message}" if isinstance(cause, ApplicationError) else str(cause)
                )
                result = StepResult(phase=step.phase, index=step.index, command=step.command, error=reason)
            results.append(result)
        return results


def steps_worker(client: Client, settings: Settings, steps: RunbookSteps) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[RunStepsWorkflow],
        activities=[steps.run_step],
        workflow_runner=UnsandboxedWorkflowRunner(),
        # A killed worker's sticky queue hands its workflows back quickly.
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=1),
    )


async def _serve() -> None:
    settings = Settings()  # AW_* from the environment the test gives
    client = await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )
    engine = create_engine(settings.database_url)
    await steps_worker(client, settings, RunbookSteps(session_factory(engine), settings)).run()


if __name__ == "__main__":
    asyncio.run(_serve())
