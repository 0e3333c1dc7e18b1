"""The `run_runbook_step` activity: its executors, heartbeats, what a retry does, and how Temporal's
retries treat its failures (ActivityEnvironment, then real workers on the dev server, one killed)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

import activities.runbook_steps as runbook_steps
from activities.runbook_steps import RunbookSteps
from core.db.engine import create_engine, session_factory
from core.db.models import Company
from core.security import SecretBox
from core.settings import Settings
from tests.support.aws import ACCOUNT, moto_server
from tests.support.fake_ssm import FakeSsm, fake_ssm_behind_boto3
from tests.support.runbook_steps import RunSteps, RunStepsWorkflow, steps_worker
from workflows.remediation.types import ExecutorKind, StepPhase, StepRequest, StepResult

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"ssm_poll_interval_s": 0.05, "local_executor": True})


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def company_id(sessions: async_sessionmaker[AsyncSession]) -> str:
    async with sessions() as session, session.begin():
        company = Company(name=f"Acme {uuid.uuid4().hex[:6]}")
        session.add(company)
    return company.id


@pytest.fixture
async def fake_ssm(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeSsm]:
    monkeypatch.setattr(runbook_steps, "HEARTBEAT_EVERY_S", 0.05)
    async with fake_ssm_behind_boto3(monkeypatch) as fake:
        yield fake


def step(
    company_id: str, command: str, *, executor: ExecutorKind = ExecutorKind.ssm, **more: Any
) -> StepRequest:
    fields: dict[str, Any] = {"targets": ["i-0abc"] if executor == ExecutorKind.ssm else []} | more
    return StepRequest(
        run_id="remediation-inc-1",
        company_id=company_id,
        executor=executor,
        phase=StepPhase.action,
        index=0,
        command=command,
        **fields,
    )


class Attempt:
    """One attempt of the activity in an ActivityEnvironment, recording its heartbeats."""

    def __init__(self, attempt: int = 1, details: list[Any] | None = None) -> None:
        self.env = ActivityEnvironment()
        self.env.info = dataclasses.replace(self.env.info, attempt=attempt, heartbeat_details=details or [])
        self.heartbeats: list[tuple[Any, ...]] = []
        self.env.on_heartbeat = lambda *details: self.heartbeats.append(details)

    @property
    def last_details(self) -> list[Any]:
        recorded = [beat for beat in self.heartbeats if beat]
        return list(recorded[-1]) if recorded else []

    async def run(self, steps: RunbookSteps, req: StepRequest) -> StepResult:
        result: StepResult = await self.env.run(steps.run_step, req)
        return result


async def fails_transiently(attempt: asyncio.Task[StepResult]) -> None:
    """The attempt failed with an error Temporal retries (anything but a non-retryable one)."""
    try:
        await attempt
    except ApplicationError as err:
        assert not err.non_retryable, err
    except Exception:
        pass
    else:
        raise AssertionError("the attempt succeeded")


# --- one attempt ------------------------------------------------------------------------------------------


async def test_ssm_step_heartbeats_with_its_command_id_while_the_command_runs(
    fake_ssm: FakeSsm, sessions: async_sessionmaker[AsyncSession], settings: Settings, company_id: str
) -> None:
    fake_ssm.script("systemctl restart nginx", in_progress_polls=10, stdout="restarted\n")
    attempt = Attempt()
    result = await attempt.run(RunbookSteps(sessions, settings), step(company_id, "systemctl restart nginx"))
    assert result.ok and result.exit_code == 0
    assert result.output_tail == "== i-0abc (Success, exit 0) ==\nrestarted\n"
    assert result.started_at and result.finished_at and result.started_at <= result.finished_at
    (sent,) = fake_ssm.sends
    assert attempt.last_details[0]["command_id"] == sent.command_id
    assert len(attempt.heartbeats) >= 3
    assert sent.request["Comment"].endswith(" action#0 remediation-inc-1")


async def test_a_failing_command_is_a_result_with_its_exit_code_not_an_exception(
    fake_ssm: FakeSsm, sessions: async_sessionmaker[AsyncSession], settings: Settings, company_id: str
) -> None:
    fake_ssm.script("test -d /srv/app", exit_code=1)
    result = await Attempt().run(RunbookSteps(sessions, settings), step(company_id, "test -d /srv/app"))
    assert result.exit_code == 1 and result.error is None and not result.ok


async def test_a_retry_polls_the_command_its_heartbeat_names_instead_of_sending_it_again(
    fake_ssm: FakeSsm, sessions: async_sessionmaker[AsyncSession], settings: Settings, company_id: str
) -> None:
    steps = RunbookSteps(sessions, settings)
    release = asyncio.Event()
    fake_ssm.script("apt-get upgrade -y", hold=release, stdout="upgraded\n")
    first = Attempt()
    running = asyncio.create_task(first.run(steps, step(company_id, "apt-get upgrade -y")))
    while fake_ssm.polls("apt-get upgrade -y") < 2:
        await asyncio.sleep(0.02)
    fake_ssm.fail_polls = 1000  # SSM has a bad moment: the attempt gives up with a transient error
    await fails_transiently(running)

    fake_ssm.fail_polls = 0
    release.set()
    second = Attempt(attempt=2, details=first.last_details)
    result = await second.run(steps, step(company_id, "apt-get upgrade -y"))
    assert result.ok
    assert len(fake_ssm.sends) == 1, "the retry sent the command again"
    assert result.started_at is not None
    assert result.started_at.isoformat() == first.last_details[0]["started_at"]


async def test_a_retry_whose_heartbeat_was_lost_finds_the_command_by_its_marker(
    fake_ssm: FakeSsm, sessions: async_sessionmaker[AsyncSession], settings: Settings, company_id: str
) -> None:
    steps = RunbookSteps(sessions, settings)
    release = asyncio.Event()
    fake_ssm.script("reboot-service", hold=release)
    running = asyncio.create_task(Attempt().run(steps, step(company_id, "reboot-service")))
    while fake_ssm.polls("reboot-service") < 1:
        await asyncio.sleep(0.02)
    fake_ssm.fail_polls = 1000
    await fails_transiently(running)
    fake_ssm.fail_polls = 0
    release.set()
    # The worker died before its heartbeat reached Temporal: the retry knows nothing of the first send.
    result = await Attempt(attempt=2).run(steps, step(company_id, "reboot-service"))
    assert result.ok
    assert len(fake_ssm.sends) == 1
    assert "ListCommands" in fake_ssm.calls


async def test_a_step_without_instance_ids_is_refused_for_good(
    fake_ssm: FakeSsm, sessions: async_sessionmaker[AsyncSession], settings: Settings, company_id: str
) -> None:
    with pytest.raises(ApplicationError) as refused:
        await Attempt().run(RunbookSteps(sessions, settings), step(company_id, "uptime", targets=[]))
    assert refused.value.non_retryable and refused.value.type == "SsmNoTargets"
    assert fake_ssm.calls == []


async def test_ssm_step_assumes_the_company_role_with_its_external_id(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = SecretBox(settings.secret_key)
    async with sessions() as session, session.begin():
        company = Company(
            name="Role Co",
            aws_role_arn=f"arn:aws:iam::{ACCOUNT}:role/aw-runbooks",
            aws_external_id="msp-role-co-1",
            aws_access_key_id_encrypted=box.encrypt("AKIABASEKEY000000001"),
            aws_secret_access_key_encrypted=box.encrypt("base-secret"),
        )
        session.add(company)
    with moto_server() as moto:
        for service in ("SSM", "STS"):
            monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", moto)
        result = await Attempt().run(RunbookSteps(sessions, settings), step(company.id, "uptime"))
    assert result.ok and result.exit_code == 0


async def test_local_step_runs_on_this_host_with_a_deadline(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, company_id: str
) -> None:
    steps = RunbookSteps(sessions, settings)
    failed = await Attempt().run(steps, step(company_id, "echo out; exit 4", executor=ExecutorKind.local))
    assert (failed.exit_code, failed.output_tail, failed.error) == (4, "out\n", None)
    slow = step(company_id, "sleep 30", executor=ExecutorKind.local, timeout_seconds=1)
    timed_out = await Attempt().run(steps, slow)
    assert (timed_out.exit_code, timed_out.error) == (None, "timed out after 1s")


async def test_local_step_is_refused_for_good_when_the_executor_is_off(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, company_id: str
) -> None:
    steps = RunbookSteps(sessions, settings.model_copy(update={"local_executor": False}))
    with pytest.raises(ApplicationError) as refused:
        await Attempt().run(steps, step(company_id, "uptime", executor=ExecutorKind.local))
    assert refused.value.non_retryable and refused.value.type == "LocalExecutorDisabled"


# --- in real workers, with Temporal's retries ---------------------------------------------------------------


async def run_steps(client: Client, settings: Settings, plan: RunSteps) -> list[StepResult]:
    results: list[StepResult] = await client.execute_workflow(
        RunStepsWorkflow.run,
        plan,
        id=f"run-steps-{uuid.uuid4().hex[:10]}",
        task_queue=settings.task_queue,
        execution_timeout=timedelta(minutes=2),
    )
    return results


async def test_temporal_retries_a_throttled_send_and_not_an_access_denied_one(
    fake_ssm: FakeSsm,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    company_id: str,
    temporal_client: Client,
) -> None:
    worker = steps_worker(temporal_client, settings, RunbookSteps(sessions, settings))
    async with worker:
        fake_ssm.throttle_sends = 2
        (throttled,) = await run_steps(
            temporal_client, settings, RunSteps(steps=[step(company_id, "uptime")])
        )
        assert throttled.ok
        assert fake_ssm.calls.count("SendCommand") == 3 and len(fake_ssm.sends) == 1

        fake_ssm.reset()
        fake_ssm.refuse_sends = "AccessDeniedException"
        (denied,) = await run_steps(temporal_client, settings, RunSteps(steps=[step(company_id, "uptime")]))
        assert denied.exit_code is None
        assert denied.error is not None and denied.error.startswith("AwsAccessDenied: ssm:SendCommand failed")
        assert fake_ssm.calls.count("SendCommand") == 1, "a refusal was retried"


@pytest.fixture
def worker_process(
    settings: Settings, temporal_client: Client, fake_ssm: FakeSsm
) -> Iterator[subprocess.Popen[bytes]]:
    """A worker of its own (tests/support/runbook_steps.py), for the test to kill."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "AW_ENVIRONMENT": settings.environment,
        "AW_SECRET_KEY": settings.secret_key,
        "AW_DATABASE_URL": settings.database_url,
        "AW_TASK_QUEUE": settings.task_queue,
        "AW_TEMPORAL_ADDRESS": temporal_client.service_client.config.target_host,
        "AW_SSM_POLL_INTERVAL_S": "0.1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.runbook_steps"], cwd=REPO, env=env, start_new_session=True
    )
    yield process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


async def test_a_worker_killed_mid_runbook_finishes_it_elsewhere_without_running_any_command_twice(
    fake_ssm: FakeSsm,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    company_id: str,
    temporal_client: Client,
    worker_process: subprocess.Popen[bytes],
) -> None:
    release = asyncio.Event()
    fake_ssm.script("step-1", stdout="one\n")
    fake_ssm.script("step-2", hold=release, stdout="two\n")
    fake_ssm.script("step-3", stdout="three\n")
    plan = RunSteps(
        steps=[step(company_id, f"step-{i + 1}").model_copy(update={"index": i}) for i in range(3)],
        heartbeat_timeout_s=2,
    )
    handle = await temporal_client.start_workflow(
        RunStepsWorkflow.run,
        plan,
        id=f"run-steps-{uuid.uuid4().hex[:10]}",
        task_queue=settings.task_queue,
        execution_timeout=timedelta(minutes=2),
    )
    deadline = time.monotonic() + 60
    while fake_ssm.polls("step-2") < 3:
        assert time.monotonic() < deadline, f"step-2 never ran: {fake_ssm.calls}"
        assert worker_process.poll() is None, "the worker process exited"
        await asyncio.sleep(0.05)
    os.killpg(worker_process.pid, signal.SIGKILL)  # mid-command: no handler runs, nothing is flushed
    worker_process.wait(timeout=10)
    polls_when_killed = fake_ssm.polls("step-2")

    async with steps_worker(temporal_client, settings, RunbookSteps(sessions, settings)):
        while fake_ssm.polls("step-2") <= polls_when_killed:  # the new worker took the step over
            await asyncio.sleep(0.05)
        release.set()
        results = await handle.result()

    assert [r.ok for r in results] == [True, True, True], results
    assert [len(fake_ssm.sent(f"step-{i}")) for i in (1, 2, 3)] == [1, 1, 1]
    assert "two" in results[1].output_tail
