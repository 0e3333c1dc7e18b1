"""The stack the benchmark measures: the embedded default, started in this process or in a child process.

It is what `alert-whisperer dev` runs (same building blocks, same Temporal pragmas, eager start, the
redelivery loop), built here rather than by launching that command so that the benchmark gets fresh
tenants (intake-only with and without SLA clocks and auto-assignment, and one that decides and runs
runbooks on the local executor), free ports, a
headless Temporal and a raised tenant rate limit. With `timed`, timers at its seams (bench/timings.py)
say where the time goes, at a cost of about 12 % of the stack's CPU; without, the stack is exactly the
product as shipped.

Run as a script it is the child: it starts the stack in `--data-dir`, says where it answers on stdout,
and stops when its standard input closes or it gets SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import uvicorn
from decision_load import add_bench_runbooks
from oncall_load import add_on_call_technician
from process_stack import temporal_dev_server
from timings import Timings, timed_asgi, timed_client, timed_services

from api.app import create_app
from api.server import server_config
from core.companies.service import create_company
from core.db.migrate import upgrade_to_head
from core.runtime import Services, build_services
from core.settings import Settings
from core.temporal import connect
from worker.cli import run_service
from worker.worker import build_worker, ensure_notification_outbox_loop, ensure_redelivery_loop
from workflows.policy import CompanyPolicy

READY_TIMEOUT_S = 120


@dataclass(frozen=True)
class TenantCredentials:
    company_id: str
    api_key: str
    hmac_secret: str


@dataclass(frozen=True)
class StackInfo:
    """Where the stack answers and the tenants the benchmark sends as: the first one's incidents only
    correlate (automation off), with SLA clocks and auto-assignment on; `without_sla` is the same with both
    off; `decisions` decides and runs runbooks (both None on a stack not started here)."""

    url: str
    database_url: str | None
    temporal_address: str | None
    company_id: str | None
    api_key: str
    hmac_secret: str
    # Processes whose CPU time the report shows; None where the benchmark does not own them.
    temporal_pid: int | None = None
    app_pid: int | None = None
    decisions: TenantCredentials | None = None
    without_sla: TenantCredentials | None = None

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> StackInfo:
        decisions, without_sla = message.pop("decisions", None), message.pop("without_sla", None)
        return cls(
            **message,
            decisions=TenantCredentials(**decisions) if decisions else None,
            without_sla=TenantCredentials(**without_sla) if without_sla else None,
        )


Breakdown = dict[str, dict[str, float]]


@dataclass(frozen=True)
class RunningStack:
    info: StackInfo
    # Server-side timings since the previous call (empty unless the benchmark started the stack timed).
    breakdown: Callable[[], Awaitable[Breakdown]]


async def no_breakdown() -> Breakdown:
    return {}


class _QuietUvicorn(uvicorn.Server):
    """Leaves signals to the owner of the process, which stops the API, the worker and Temporal in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bench_settings(data_dir: Path, temporal_port: int, tenant_rate_limit: float) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{(data_dir / 'alert_whisperer.db').resolve()}",
        temporal_address=f"127.0.0.1:{temporal_port}",
        # The per-tenant limit (200/s by default) would measure the limiter, not the pipeline.
        rate_limit_per_s=tenant_rate_limit,
        rate_limit_burst=max(1000, int(tenant_rate_limit)),
        # Decisions by the rules only (no LLM), and runbooks run as subprocesses on this host.
        agent_provider=["rules"],
        local_executor=True,
    )


async def create_tenant(services: Services, policy: CompanyPolicy) -> TenantCredentials:
    async with services.sessions() as session, session.begin():
        issued = await create_company(
            session, services.secrets, f"Bench {uuid.uuid4().hex[:8]}", policy=policy
        )
    return TenantCredentials(issued.id, issued.api_key, issued.hmac_secret)


async def create_tenants(
    services: Services,
) -> tuple[TenantCredentials, TenantCredentials, TenantCredentials]:
    """An intake-only tenant (automation off: incidents only correlate, with SLA clocks and auto-assignment
    as every company has them by default), one that decides and runs the benchmark's runbooks, and an
    intake-only one without SLA clocks and auto-assignment (policy `sla_tracking`, `auto_assignment` off).
    Each has a technician on call, whom auto-assignment (where on) assigns and notifies."""
    intake = await create_tenant(services, CompanyPolicy(automation=False))
    deciding = await create_tenant(services, CompanyPolicy(automation=True))
    without_sla = await create_tenant(
        services, CompanyPolicy(automation=False, sla_tracking=False, auto_assignment=False)
    )
    async with services.sessions() as session, session.begin():
        add_bench_runbooks(session, deciding.company_id)
        for tenant in (intake, deciding, without_sla):
            await add_on_call_technician(session, tenant.company_id)
    return intake, deciding, without_sla


@contextlib.asynccontextmanager
async def product_services(settings: Settings, timings: Timings | None) -> AsyncIterator[Services]:
    """The services as `alert-whisperer dev` builds them; with `timings`, timed at their seams."""
    client = await connect(settings)
    if timings is not None:
        client = timed_client(client, timings)
    services = build_services(settings, client, eager_start=True)
    try:
        if timings is None:
            yield services
        else:
            async with timed_services(services, timings):
                yield services
    finally:
        await services.close()


@contextlib.asynccontextmanager
async def running_worker(services: Services) -> AsyncIterator[None]:
    worker = build_worker(services.temporal, services)
    await ensure_redelivery_loop(services.temporal, services)
    await ensure_notification_outbox_loop(services.temporal, services)
    task = asyncio.create_task(worker.run())
    try:
        yield
    finally:
        await worker.shutdown()
        await asyncio.gather(task, return_exceptions=True)


@contextlib.asynccontextmanager
async def running_api(settings: Settings, services: Services, timings: Timings | None) -> AsyncIterator[str]:
    """The API on a free port; yields its base URL."""
    app: Any = create_app(settings, services)
    if timings is not None:
        app = timed_asgi(app, timings)
    server = _QuietUvicorn(server_config(app, settings, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()  # raises why uvicorn did not start
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.gather(task, return_exceptions=True)


@contextlib.asynccontextmanager
async def run_embedded(
    data_dir: Path, *, tenant_rate_limit: float, timed: bool = False
) -> AsyncIterator[RunningStack]:
    """Temporal dev server (file-backed, WAL), migrated SQLite, worker and API, as `alert-whisperer dev`.

    `timed` adds the timers of bench/timings.py, read out by `RunningStack.breakdown`.
    """
    timings = Timings() if timed else None
    async with contextlib.AsyncExitStack() as stack:  # stops API, worker, services, Temporal in that order
        temporal_port, temporal_pid = await stack.enter_async_context(temporal_dev_server(data_dir))
        settings = bench_settings(data_dir, temporal_port, tenant_rate_limit)
        await asyncio.to_thread(upgrade_to_head, settings.database_url)
        services = await stack.enter_async_context(product_services(settings, timings))
        intake, deciding, without_sla = await create_tenants(services)
        await stack.enter_async_context(running_worker(services))
        url = await stack.enter_async_context(running_api(settings, services, timings))
        if timings is not None:
            timings.snapshot_and_reset()  # start-up is not part of any phase
        info = StackInfo(
            url=url,
            database_url=settings.database_url,
            temporal_address=settings.temporal_address,
            company_id=intake.company_id,
            api_key=intake.api_key,
            hmac_secret=intake.hmac_secret,
            temporal_pid=temporal_pid,
            app_pid=os.getpid(),
            decisions=deciding,
            without_sla=without_sla,
        )
        yield RunningStack(info, timed_breakdown(timings) if timings else no_breakdown)


def timed_breakdown(timings: Timings) -> Callable[[], Awaitable[Breakdown]]:
    async def breakdown() -> Breakdown:
        return timings.snapshot_and_reset()

    return breakdown


# --- the stack in a child process -------------------------------------------------------------------
# The child answers on its stdout, one JSON line per message with MESSAGE in front: first where the stack
# is, then (with --timings) one server-side breakdown per SIGUSR1. Its logs go to stack.log in the data
# directory.

CHILD_SCRIPT = str(Path(__file__).resolve())
MESSAGE = "BENCH "


@contextlib.asynccontextmanager
async def run_in_child(
    data_dir: Path, *, tenant_rate_limit: float, timed: bool = False
) -> AsyncIterator[RunningStack]:
    """The same stack in a child process, so the load generator's CPU does not share its event loop."""
    log_path = data_dir / "stack.log"
    with _open_log(log_path) as log:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            CHILD_SCRIPT,
            "--data-dir",
            str(data_dir),
            "--tenant-rate-limit",
            str(tenant_rate_limit),
            *(["--timings"] if timed else []),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
        )
    info: StackInfo | None = None
    try:
        ready = await _next_message(child, READY_TIMEOUT_S)
        if ready is None:
            tail = (await asyncio.to_thread(log_path.read_text, errors="replace"))[-3000:]
            raise RuntimeError(f"the benchmark stack did not start (exit {child.returncode}):\n{tail}")
        info = StackInfo.from_message(ready)
        yield RunningStack(info, _breakdown_from(child) if timed else no_breakdown)
    finally:
        await _stop_child(child, info)


def _open_log(path: Path) -> IO[bytes]:
    # Opened outside the event loop's coroutines; the caller closes it once the child holds its own copy.
    return open(path, "wb")


async def _next_message(child: asyncio.subprocess.Process, timeout_s: float) -> Any:
    """The child's next message, or None if it said nothing in time or exited."""
    assert child.stdout is not None
    try:
        async with asyncio.timeout(timeout_s):
            while line := await child.stdout.readline():
                if line.startswith(MESSAGE.encode()):
                    return json.loads(line[len(MESSAGE) :])
    except TimeoutError:
        pass
    return None


def _breakdown_from(child: asyncio.subprocess.Process) -> Callable[[], Awaitable[Breakdown]]:
    async def breakdown() -> Breakdown:
        child.send_signal(signal.SIGUSR1)
        return await _next_message(child, 10) or {}

    return breakdown


async def _stop_child(child: asyncio.subprocess.Process, info: StackInfo | None) -> None:
    if child.stdin is not None:
        child.stdin.close()  # the child's cue to shut down in order
    try:
        await asyncio.wait_for(child.wait(), 30)
    except TimeoutError:
        child.kill()
        await child.wait()
    # If the child died without stopping its Temporal server, stop that one (only that pid) here.
    if info and info.temporal_pid and _is_temporal(info.temporal_pid):
        os.kill(info.temporal_pid, signal.SIGTERM)


def _is_temporal(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"temporal" in cmdline and b"start-dev" in cmdline


def _say(message: Any) -> None:
    sys.stdout.write(MESSAGE + json.dumps(message) + "\n")
    sys.stdout.flush()


async def _serve_until_stopped(data_dir: Path, tenant_rate_limit: float, timed: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # The parent holds our stdin open; EOF means it is done or gone, so nothing here outlives it.
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    stdin_closed = asyncio.create_task(reader.read())
    async with run_embedded(data_dir, tenant_rate_limit=tenant_rate_limit, timed=timed) as stack:
        asking: set[asyncio.Task[None]] = set()  # holds each task until done, so none is collected early

        async def say_breakdown() -> None:
            _say(await stack.breakdown())

        def on_usr1() -> None:
            task = asyncio.create_task(say_breakdown())
            asking.add(task)
            task.add_done_callback(asking.discard)

        loop.add_signal_handler(signal.SIGUSR1, on_usr1)
        _say(asdict(stack.info))
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({stdin_closed, stopped}, return_when=asyncio.FIRST_COMPLETED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--tenant-rate-limit", type=float, required=True)
    parser.add_argument("--timings", action="store_true", help="time the stack's seams (costs CPU)")
    args = parser.parse_args()
    # The event loop `alert-whisperer dev` runs on.
    run_service(_serve_until_stopped(args.data_dir, args.tenant_rate_limit, args.timings))


if __name__ == "__main__":
    main()
