"""A deliberately changed IncidentWorkflow, to prove the replay test catches non-determinism."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.types import IncidentInput, IncidentState


@workflow.defn(name="IncidentWorkflow")
class DriftedIncidentWorkflow:
    @workflow.run
    async def run(self, inp: IncidentInput) -> IncidentState:
        # A timer where the recorded history has a local activity: replay must refuse this.
        await workflow.sleep(timedelta(seconds=1))
        raise RuntimeError("unreachable")
