"""The local executor: a command in a subprocess on the worker's host, with a deadline and capped output."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from core.remediation.executors.local import check_enabled, run_local
from core.settings import Settings
from tests.conftest import TEST_SECRET_KEY

STRONG_KEY = "Zq8v" * 12 + "-_aB9xYw"


async def test_a_command_that_succeeds_returns_exit_zero_and_its_output() -> None:
    outcome = await run_local("echo hello; echo oops >&2", timeout_s=10, tail_bytes=4096)
    assert outcome.exit_code == 0
    assert not outcome.timed_out
    assert outcome.output_tail == "hello\noops\n"


async def test_a_command_that_fails_returns_its_exit_code_not_an_error() -> None:
    outcome = await run_local("echo broken; exit 3", timeout_s=10, tail_bytes=4096)
    assert outcome.exit_code == 3
    assert outcome.output_tail == "broken\n"


async def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    started = time.monotonic()
    outcome = await run_local(
        f"sleep 60 & echo $! > {pid_file}; echo started; wait", timeout_s=1, tail_bytes=4096
    )
    assert time.monotonic() - started < 5
    assert outcome.timed_out and outcome.exit_code is None
    assert outcome.output_tail == "started\n"
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not _alive(grandchild), "the background child of the timed-out command survived"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead but not yet reaped by its new parent.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[1][0] != "Z"


async def test_output_is_capped_to_its_tail() -> None:
    outcome = await run_local(
        "head -c 3000000 /dev/zero | tr '\\0' a; echo; echo the-end", timeout_s=20, tail_bytes=256
    )
    assert outcome.exit_code == 0
    assert len(outcome.output_tail.encode()) == 256
    assert outcome.output_tail.endswith("a\nthe-end\n")


async def test_a_command_killed_by_a_signal_reports_it_as_a_shell_would() -> None:
    outcome = await run_local("kill -TERM $$", timeout_s=10, tail_bytes=4096)
    assert outcome.exit_code == 128 + 15


def test_the_local_executor_is_off_unless_switched_on() -> None:
    with pytest.raises(ApplicationError) as refused:
        check_enabled(Settings(environment="test", secret_key=TEST_SECRET_KEY))
    assert refused.value.non_retryable
    assert refused.value.type == "LocalExecutorDisabled"
    assert "AW_LOCAL_EXECUTOR=true" in refused.value.message
    check_enabled(Settings(environment="test", secret_key=TEST_SECRET_KEY, local_executor=True))


def test_production_refuses_the_local_executor_unless_explicitly_allowed() -> None:
    production = Settings(environment="production", secret_key=STRONG_KEY, local_executor=True)
    with pytest.raises(ApplicationError) as refused:
        check_enabled(production)
    assert refused.value.non_retryable
    assert "AW_ALLOW_LOCAL_EXECUTOR_IN_PRODUCTION=true" in refused.value.message
    check_enabled(production.model_copy(update={"allow_local_executor_in_production": True}))
