"""The local executor: a runbook command in a subprocess on the worker's own host (single-host and
on-premises set-ups).

Off unless AW_LOCAL_EXECUTOR=true, and refused in production unless AW_ALLOW_LOCAL_EXECUTOR_IN_PRODUCTION
is true as well: whoever can write runbooks can then run anything as the worker's user.

`bash -c <command>` runs in a process group of its own, with stdout and stderr merged. Only the last
`tail_bytes` of output are kept, trimmed as they stream in. At the deadline the whole group is killed.
Where util-linux's `setpriv` exists, the command is also killed if the worker process dies, so a retry on
another worker never runs alongside a leftover copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from dataclasses import dataclass

from core.remediation.errors import non_retryable
from core.settings import LENIENT_ENVIRONMENTS, Settings

READ_CHUNK = 64 * 1024
# After the command exits, a background child it left may still hold the output pipe open.
DRAIN_AFTER_EXIT_S = 1.0
SETPRIV = shutil.which("setpriv")


@dataclass(frozen=True)
class LocalOutcome:
    exit_code: int | None  # None: killed at the deadline
    output_tail: str
    timed_out: bool = False


def refusal_reason(settings: Settings) -> str | None:
    """Why the local executor may not run here, or None when it may."""
    if not settings.local_executor:
        return (
            "the local executor is off: set AW_LOCAL_EXECUTOR=true on the worker to run runbook commands on "
            "its host, or use the SSM executor"
        )
    if settings.environment not in LENIENT_ENVIRONMENTS and not settings.allow_local_executor_in_production:
        return (
            "the local executor is refused in production: set AW_ALLOW_LOCAL_EXECUTOR_IN_PRODUCTION=true as "
            "well if runbook commands are really meant to run on the worker's host"
        )
    return None


def check_enabled(settings: Settings) -> None:
    """Raises a non-retryable error saying which switch to set unless the local executor may run here."""
    reason = refusal_reason(settings)
    if reason:
        raise non_retryable("LocalExecutorDisabled", reason)


def _argv(command: str) -> list[str]:
    bash = ["bash", "-c", command]
    return [SETPRIV, "--pdeathsig", "KILL", *bash] if SETPRIV else bash


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def run_local(command: str, *, timeout_s: float, tail_bytes: int) -> LocalOutcome:
    """Runs `command` to its end or to the deadline. Cancelling the caller kills the process group."""
    process = await asyncio.create_subprocess_exec(
        *_argv(command),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    tail = bytearray()

    async def read() -> None:
        assert process.stdout is not None
        while chunk := await process.stdout.read(READ_CHUNK):
            tail.extend(chunk)
            if len(tail) > tail_bytes:
                del tail[:-tail_bytes]

    reader = asyncio.create_task(read())
    timed_out = False
    try:
        try:
            async with asyncio.timeout(timeout_s):
                await process.wait()
        except TimeoutError:
            timed_out = True
            _kill_group(process.pid)
            await process.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(reader), DRAIN_AFTER_EXIT_S)
    except BaseException:  # cancelled: the activity was cancelled or its worker is shutting down
        _kill_group(process.pid)
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(process.wait(), DRAIN_AFTER_EXIT_S)
        raise
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    output = tail.decode("utf-8", errors="replace")
    if timed_out:
        return LocalOutcome(exit_code=None, output_tail=output, timed_out=True)
    code = process.returncode
    assert code is not None
    # Killed by a signal (not ours): report it the way a shell does.
    return LocalOutcome(exit_code=128 - code if code < 0 else code, output_tail=output)
