"""Dispatches the notification outbox: one long-lived loop per task queue, like the redelivery loop.

Each pass is one activity that watches the outbox for a few minutes and heartbeats
(`Notifier.dispatch_outbox`): a notice written by its own worker goes out at once (the worker rings it),
another worker's within a poll interval. Temporal keeps exactly one pass running and moves it to another
worker when its worker dies (the heartbeat stops); the rows are the work, so a restart loses nothing.
A timer loop of short passes would instead cost a workflow task every poll interval.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.notifications import Notifier
    from workflows.notifications.types import OutboxLoopInput, OutboxWatch, OutboxWatchResult

NOTIFICATION_OUTBOX_ID_PREFIX = "notification-outbox"
# A pass heartbeats at least every poll interval: a dead worker's pass moves on this long after.
OUTBOX_HEARTBEAT_TIMEOUT = timedelta(seconds=30)
# Beyond the pass itself: its batches in flight finish (every try of a failing channel, about a minute
# with the default timeouts, and a wait for a dead attempt's claim).
OUTBOX_PASS_GRACE = timedelta(minutes=5)
# About 6 history events per pass (5 minutes each by default): continue as new about daily.
PASSES_PER_RUN = 300


def notification_outbox_workflow_id(task_queue: str) -> str:
    """One loop per task queue: every worker names the same workflow, and only the first one starts it."""
    return f"{NOTIFICATION_OUTBOX_ID_PREFIX}-{task_queue}"


@workflow.defn
class NotificationOutboxWorkflow:
    @workflow.init
    def __init__(self, inp: OutboxLoopInput) -> None:
        self.watch = inp.watch
        self.passes = inp.passes
        self.dispatched = inp.dispatched

    @workflow.run
    async def run(self, inp: OutboxLoopInput) -> None:
        for _ in range(PASSES_PER_RUN):
            result: OutboxWatchResult = await workflow.execute_activity_method(
                Notifier.dispatch_outbox,
                self.watch,
                start_to_close_timeout=timedelta(seconds=self.watch.seconds) + OUTBOX_PASS_GRACE,
                heartbeat_timeout=OUTBOX_HEARTBEAT_TIMEOUT,
                # For as long as it takes (database away, no worker), never more than a minute apart.
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
            )
            self.passes += 1
            self.dispatched += result.dispatched
            workflow.set_current_details(_details(self.passes, self.dispatched, result))
            if workflow.info().is_continue_as_new_suggested():
                break
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(
            OutboxLoopInput(watch=self.watch, passes=self.passes, dispatched=self.dispatched)
        )

    @workflow.signal
    def configure(self, watch: OutboxWatch) -> None:
        """A starting worker's settings (sent with every worker start), for the next pass."""
        self.watch = watch

    @workflow.query
    def current_watch(self) -> OutboxWatch:
        return self.watch


def _details(passes: int, dispatched: int, last: OutboxWatchResult) -> str:
    return (
        f"Sends the email and Slack of notices written with their incident (first assignments). "
        f"{passes} pass(es), {dispatched} notice(s) dispatched in this workflow.\n\n"
        f"Last pass: {last.dispatched} dispatched, {last.retrying} to retry ({last.channels_failed} "
        f"channel(s) failed), {last.given_up} given up."
    )
