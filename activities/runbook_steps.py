"""Runs one runbook command with its executor: AWS SSM Run Command on the asset's instances, or a
subprocess on this worker's host. The remediation workflow calls it once per command.

Outcomes: a command that ran returns a `StepResult` whatever its exit code (a timeout too, with `error`
set). Failures that a retry may fix (throttling, AWS 5xx, the network) are raised for Temporal to retry
with back-off; anything else (permissions, bad instance ids, the local executor switched off) is a
non-retryable `ApplicationError` whose message says what to fix.

Running a command at most once: the SSM attempt records the CommandId in its heartbeat as soon as AWS has
accepted it, and marks the command's Comment with a key that stays the same across retries. A retry
(another worker, after this one was killed) polls that command instead of sending it again; it finds it
by the marker when the heartbeat never reached Temporal. A local command dies with the worker that ran it,
so a retry runs it again only if it had not finished (or finished just as its worker died, before the
result was reported).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from core.companies.aws_access import aws_access_of
from core.db.models import Company
from core.remediation.aws_access import company_session
from core.remediation.errors import non_retryable
from core.remediation.executors.local import check_enabled, run_local
from core.remediation.executors.ssm import SentCommand, SsmRunCommand, comment, no_targets
from core.security import SecretBox
from core.settings import Settings
from workflows.remediation.types import ExecutorKind, StepRequest, StepResult

HEARTBEAT_EVERY_S = 2.0


class _Heartbeat:
    """Heartbeats every few seconds with the latest details, so that a dead worker is noticed within the
    heartbeat timeout and the next attempt knows what this one did."""

    def __init__(self) -> None:
        self.details: dict[str, Any] | None = None

    def record(self, details: dict[str, Any]) -> None:
        self.details = details
        self.beat()

    def beat(self) -> None:
        if self.details is None:
            activity.heartbeat()
        else:
            activity.heartbeat(self.details)


@contextlib.asynccontextmanager
async def _heartbeating() -> AsyncIterator[_Heartbeat]:
    heartbeat = _Heartbeat()

    async def beat() -> None:
        while True:
            heartbeat.beat()
            await asyncio.sleep(HEARTBEAT_EVERY_S)

    task = asyncio.create_task(beat())
    try:
        yield heartbeat
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _step_marker() -> str:
    """The same for every attempt of this activity, and for no other."""
    info = activity.info()
    key = f"{info.workflow_id}/{info.workflow_run_id}/{info.activity_id}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class RunbookSteps:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings
        self._box = SecretBox(settings.secret_key)

    @activity.defn(name="run_runbook_step")
    async def run_step(self, req: StepRequest) -> StepResult:
        if req.executor == ExecutorKind.local:
            return await self._run_local(req)
        return await self._run_ssm(req)

    async def _run_local(self, req: StepRequest) -> StepResult:
        check_enabled(self._settings)
        started = datetime.now(UTC)
        async with _heartbeating():
            outcome = await run_local(
                req.command,
                timeout_s=req.timeout_seconds,
                tail_bytes=self._settings.executor_output_tail_bytes,
            )
        return StepResult(
            phase=req.phase,
            index=req.index,
            command=req.command,
            exit_code=outcome.exit_code,
            output_tail=outcome.output_tail,
            started_at=started,
            finished_at=datetime.now(UTC),
            error=f"timed out after {req.timeout_seconds}s" if outcome.timed_out else None,
        )

    async def _run_ssm(self, req: StepRequest) -> StepResult:
        if not req.targets:
            raise no_targets()
        info = activity.info()
        sent = SentCommand.from_details(info.heartbeat_details)
        async with _heartbeating() as heartbeat:
            if sent is not None:
                heartbeat.record(sent.details())
            ssm = await self._connect(req.company_id)
            marker = _step_marker()
            if sent is None and info.attempt > 1:
                found = await ssm.find_sent(marker, req.targets, info.scheduled_time)
                if found is not None:
                    sent = SentCommand(found, sent_at=time.time(), started_at=datetime.now(UTC))
            if sent is None:
                started = datetime.now(UTC)
                command_id = await ssm.send(
                    req.command,
                    req.targets,
                    timeout_s=req.timeout_seconds,
                    comment=comment(marker, req.run_id, req.phase.value, req.index),
                )
                sent = SentCommand(command_id, sent_at=time.time(), started_at=started)
            heartbeat.record(sent.details())
            activity.logger.info(
                "ssm command %s for %s %s#%d", sent.command_id, req.run_id, req.phase, req.index
            )
            try:
                outcome = await ssm.wait(sent.command_id, req.targets, sent_at=sent.sent_at)
            except asyncio.CancelledError:
                await asyncio.shield(ssm.cancel(sent.command_id))
                raise
        return StepResult(
            phase=req.phase,
            index=req.index,
            command=req.command,
            exit_code=outcome.exit_code,
            output_tail=outcome.output_tail(self._settings.executor_output_tail_bytes),
            started_at=sent.started_at,
            finished_at=datetime.now(UTC),
            error=outcome.error,
        )

    async def _connect(self, company_id: str) -> SsmRunCommand:
        async with self._sessions() as session:
            company = await session.get(Company, company_id)
        if company is None:
            raise non_retryable("CompanyNotFound", f"no company {company_id}: it was deleted")
        access = aws_access_of(company, self._box)
        boto_session = await asyncio.to_thread(company_session, company_id, access, self._settings.aws_region)
        return await SsmRunCommand.connect(boto_session, poll_interval_s=self._settings.ssm_poll_interval_s)
