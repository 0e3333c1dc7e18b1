"""The incident workflow's part that decides and heals: decisions, approvals timing out, runbook runs."""

from __future__ import annotations

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.decisions import Decider
    from workflows.incident import remediation
    from workflows.incident.parts import DB_WRITE_RETRY, DECISION_TIMEOUT, IncidentParts
    from workflows.remediation.types import DecisionOutcome, DecisionRequest, RemediationInput
    from workflows.remediation.workflow import RemediationWorkflow
    from workflows.types import OPEN_STATUSES, IncidentState


class IncidentHealing(IncidentParts):
    def _remediation_work(self) -> bool:
        return (
            bool(self.run_results)
            or remediation.ready_to_run(self.state)
            or remediation.decision_due(self.state, workflow.now())
        )

    async def _remediate(self) -> None:
        """Take in finished runs, decide where due, and start an approved run. Holds `writing`."""
        results, self.run_results = self.run_results, []
        for result in results:
            current = self.state.remediation
            if current is not None and current.run_id == result.run_id:
                await self._write(remediation.finished(self.state, result, workflow.now()))
        if self.state.status not in OPEN_STATUSES:
            if remediation.awaiting_approval(self.state) or remediation.ready_to_run(self.state):
                await self._write(remediation.withdrawn(self.state, workflow.now()))
            return
        if remediation.decision_due(self.state, workflow.now()):
            outcome: DecisionOutcome = await workflow.execute_local_activity_method(
                Decider.decide,
                DecisionRequest(incident=self.state.model_dump(mode="json")),
                start_to_close_timeout=DECISION_TIMEOUT,
                retry_policy=DB_WRITE_RETRY,
            )
            decided = remediation.decided(self.state, outcome, workflow.now())
            if remediation.ready_to_run(decided):  # one write for the decision and the run it starts
                decided = await self._start_run(decided)
            await self._write(decided, new_decision=True)
        elif remediation.ready_to_run(self.state):  # approved, or asked for by someone who may approve
            await self._write(await self._start_run(self.state))

    async def _start_run(self, state: IncidentState) -> IncidentState:
        """Starts the approved run; the state that says it runs, for the caller to write."""
        run = state.remediation
        assert run is not None
        self.run_handle = await workflow.start_child_workflow(
            RemediationWorkflow.run,
            RemediationInput(incident_id=state.incident_id, run_id=run.run_id, plan=run.plan),
            id=run.run_id,
            # Continuing as new must not cut a run short; the run reports back by workflow id.
            parent_close_policy=ParentClosePolicy.ABANDON,
            static_summary=f"{run.runbook_name} on {state.asset_name}"[:200],
        )
        return remediation.started(state, workflow.now())

    async def _approval_timed_out(self) -> bool:
        """Escalate if the approval awaited has timed out (holds `writing`); False if none had."""
        deadline = remediation.approval_deadline(self.state) if self.decides else None
        if deadline is None or deadline > workflow.now():
            return False
        await self._write(remediation.approval_timed_out(self.state, workflow.now()))
        if self.tracks_sla:
            await self._escalate("no one answered the approval in time")
        return True
