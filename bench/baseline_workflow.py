"""The baseline's workflow: the least a Temporal entity can do per alert (one update that appends an id).

It lives in its own module because a worker refuses workflows defined in `__main__`.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow


@workflow.defn
class BaselineWorkflow:
    def __init__(self) -> None:
        self.alert_ids: list[str] = []

    @workflow.run
    async def run(self, lifetime_s: float) -> int:
        # One timer at start, not one per update, so each update costs only its own workflow task; the
        # lifetime only makes sure the runs end on a server the benchmark does not own.
        await workflow.sleep(timedelta(seconds=lifetime_s))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return len(self.alert_ids)

    @workflow.update
    def add_alert(self, alert_id: str) -> int:
        self.alert_ids.append(alert_id)
        return len(self.alert_ids)
