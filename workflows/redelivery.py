"""Runs on a Temporal schedule: redelivers stored alerts that have not reached an incident yet."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.redelivery import Redelivery
    from workflows.types import RedeliveryRequest, RedeliveryResult

REDELIVERY_SCHEDULE_ID = "alert-redelivery"


@workflow.defn
class AlertRedeliveryWorkflow:
    @workflow.run
    async def run(self, req: RedeliveryRequest) -> RedeliveryResult:
        result: RedeliveryResult = await workflow.execute_activity_method(
            Redelivery.redeliver_unrouted_alerts,
            req,
            start_to_close_timeout=timedelta(minutes=5),
        )
        if result.redelivered:
            workflow.set_current_details(
                f"Redelivered {result.redelivered} alert(s): {result.routed} routed, {result.failed} failed"
            )
        return result
