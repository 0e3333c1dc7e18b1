"""Redelivers stored alerts that have not reached an incident yet: one long-lived loop per task queue.

One workflow with a timer loop, not a schedule: a schedule leaves a completed run in the Web UI's list every
interval (5,760 a day at 15 s), burying the incidents operators come to look at. The loop continues as new
only when its history grows long, so its runs stay a handful a day.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.redelivery import Redelivery
    from workflows.types import (
        RedeliveryLoopInput,
        RedeliveryRequest,
        RedeliveryResult,
        RedeliverySettings,
    )

REDELIVERY_ID_PREFIX = "alert-redelivery"
# A pass heartbeats every few seconds: when its worker dies, Temporal hands the pass to another worker
# this long after the last heartbeat, instead of after the whole start-to-close timeout.
REDELIVERY_HEARTBEAT_TIMEOUT = timedelta(seconds=10)
REDELIVERY_PASS_TIMEOUT = timedelta(minutes=10)
# About 12 history events per pass: continue as new well before Temporal's 10,240-event warning.
PASSES_PER_RUN = 300


def redelivery_workflow_id(task_queue: str) -> str:
    """One loop per task queue: every worker names the same workflow, and only the first one starts it."""
    return f"{REDELIVERY_ID_PREFIX}-{task_queue}"


@workflow.defn
class RedeliveryLoopWorkflow:
    @workflow.init
    def __init__(self, inp: RedeliveryLoopInput) -> None:
        self.settings = inp.settings
        self.passes = inp.passes
        self.reconfigured = False

    @workflow.run
    async def run(self, inp: RedeliveryLoopInput) -> None:
        for _ in range(PASSES_PER_RUN):
            result = await self._pass()
            self.passes += 1
            workflow.set_current_details(_details(self.passes, self.settings, result))
            if workflow.info().is_continue_as_new_suggested():
                break
            self.reconfigured = False
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self.reconfigured, timeout=timedelta(seconds=self.settings.interval_s)
                )
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(RedeliveryLoopInput(settings=self.settings, passes=self.passes))

    async def _pass(self) -> RedeliveryResult:
        interval = timedelta(seconds=self.settings.interval_s)
        return await workflow.execute_activity_method(
            Redelivery.redeliver_unrouted_alerts,
            self.settings.request,
            start_to_close_timeout=REDELIVERY_PASS_TIMEOUT,
            heartbeat_timeout=REDELIVERY_HEARTBEAT_TIMEOUT,
            # Retried for as long as it takes (database away, worker gone), never more than an interval apart.
            retry_policy=RetryPolicy(maximum_interval=max(interval, timedelta(seconds=1))),
        )

    @workflow.signal
    def configure(self, settings: RedeliverySettings) -> None:
        """A starting worker's settings (sent with every worker start): adopted when they differ."""
        if settings != self.settings:
            self.settings = settings
            self.reconfigured = True

    @workflow.query
    def current_settings(self) -> RedeliverySettings:
        return self.settings


def _details(passes: int, settings: RedeliverySettings, result: RedeliveryResult) -> str:
    lines = [
        f"Every {settings.interval_s} s: alerts stored over {settings.request.older_than_s} s ago and in no "
        f"incident go to their incident again. {passes} pass(es) in this workflow.",
        f"Last pass: {result.redelivered} redelivered, {result.routed} routed, {result.failed} failed, "
        f"{result.quarantined} set aside as undeliverable.",
    ]
    return "\n\n".join(lines)


@workflow.defn
class AlertRedeliveryWorkflow:
    """The former schedule's workflow, registered only so that a run it started before the upgrade can
    finish. Remove in the release after the one that deletes the schedule (worker/worker.py)."""

    @workflow.run
    async def run(self, req: RedeliveryRequest) -> RedeliveryResult:
        result: RedeliveryResult = await workflow.execute_activity_method(
            Redelivery.redeliver_unrouted_alerts,
            req,
            start_to_close_timeout=timedelta(minutes=5),
        )
        return result
