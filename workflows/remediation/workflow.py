"""One runbook run: pre-check, actions, post-check, and on failure the completed actions undone in reverse.

A child of its incident, with its own history and row in the Temporal Web UI. It is started with
parent-close policy ABANDON, so that the incident continuing as new cannot cut it short, and it tells the
incident its outcome by signalling the incident's workflow id, which reaches whichever run is current.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.runbook_steps import RunbookSteps
    from workflows.remediation.types import (
        RemediationInput,
        RemediationResult,
        RemediationStatus,
        StepPhase,
        StepRequest,
        StepResult,
    )

REMEDIATION_FINISHED_SIGNAL = "remediation_finished"
# Throttling, network trouble, a worker that died mid-command: retried with back-off. Errors the executor
# marks non-retryable (permissions, bad instance ids, a disabled executor) fail the step at once.
STEP_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=6,
)
# A step's worker that stops heartbeating is presumed dead; another worker takes the step over.
STEP_HEARTBEAT_TIMEOUT = timedelta(seconds=20)
# Beyond the command's own timeout: sending it, polling for the outcome.
STEP_OVERHEAD = timedelta(seconds=60)


@workflow.defn
class RemediationWorkflow:
    @workflow.run
    async def run(self, inp: RemediationInput) -> RemediationResult:
        self.inp = inp
        self.steps: list[StepResult] = []
        result = await self._execute()
        result.finished_at = workflow.now()
        try:
            await workflow.get_external_workflow_handle(inp.incident_id).signal(
                REMEDIATION_FINISHED_SIGNAL, result
            )
        except ApplicationError as err:  # the incident's workflow is gone: its result stays in this history
            workflow.logger.warning("could not tell incident %s the outcome: %s", inp.incident_id, err)
        return result

    async def _execute(self) -> RemediationResult:
        plan = self.inp.plan
        if plan.pre_check:
            check = await self._step(StepPhase.pre_check, 0, plan.pre_check)
            if check.ok:
                return self._result(RemediationStatus.succeeded, skipped=True)
        completed: list[int] = []
        failure: str | None = None
        for index, command in enumerate(plan.actions):
            step = await self._step(StepPhase.action, index, command)
            if not step.ok:
                failure = f"action {index + 1} failed: {_why(step)}"
                break
            completed.append(index)
        if failure is None and plan.post_check:
            check = await self._step(StepPhase.post_check, 0, plan.post_check)
            if not check.ok:
                failure = f"post-check failed: {_why(check)}"
        if failure is None:
            return self._result(RemediationStatus.succeeded)
        return await self._compensate(completed, failure)

    async def _compensate(self, completed: list[int], failure: str) -> RemediationResult:
        """Undo the completed actions, newest first; a rollback that fails leaves the run `failed`."""
        rollback = self.inp.plan.rollback_actions
        undo = [i for i in reversed(completed) if i < len(rollback) and rollback[i].strip()]
        if not undo:
            return self._result(RemediationStatus.failed, error=failure)
        for index in undo:
            step = await self._step(StepPhase.rollback, index, rollback[index])
            if not step.ok:
                return self._result(
                    RemediationStatus.failed,
                    error=f"{failure}; rollback of action {index + 1} failed: {_why(step)}",
                )
        return self._result(RemediationStatus.rolled_back, error=failure)

    async def _step(self, phase: StepPhase, index: int, command: str) -> StepResult:
        plan = self.inp.plan
        req = StepRequest(
            run_id=self.inp.run_id,
            company_id=plan.company_id,
            executor=plan.executor,
            targets=plan.targets,
            phase=phase,
            index=index,
            command=command,
            timeout_seconds=plan.timeout_seconds,
        )
        try:
            step: StepResult = await workflow.execute_activity_method(
                RunbookSteps.run_step,
                req,
                start_to_close_timeout=timedelta(seconds=plan.timeout_seconds) + STEP_OVERHEAD,
                heartbeat_timeout=STEP_HEARTBEAT_TIMEOUT,
                retry_policy=STEP_RETRY,
            )
        except ActivityError as err:
            cause = err.cause
            step = StepResult(
                phase=phase,
                index=index,
                command=command,
                error=str(cause.message if isinstance(cause, ApplicationError) else cause or err),
                finished_at=workflow.now(),
            )
        self.steps.append(step)
        return step

    def _result(
        self, status: RemediationStatus, error: str | None = None, skipped: bool = False
    ) -> RemediationResult:
        return RemediationResult(
            run_id=self.inp.run_id, status=status, steps=list(self.steps), skipped=skipped, error=error
        )


def _why(step: StepResult) -> str:
    if step.error:
        return step.error
    tail = step.output_tail.strip().splitlines()[-1:] if step.output_tail.strip() else []
    return f"exit code {step.exit_code}" + (f": {tail[0][:200]}" if tail else "")
