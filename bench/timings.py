"""Where the stack's time goes: timers around its public seams, read out (and reset) after each phase.

Everything here attaches from outside (a client/worker interceptor, SQLAlchemy events, an ASGI wrapper,
wrapped public methods, an event-loop probe), so the code under test is unchanged. The timers are not
free: a py-spy profile put them at about 12 % of the stack's CPU, which is why `ingest.py` only
attaches them with `--timings`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy import event
from temporalio import client as temporal_client
from temporalio import worker as temporal_worker

from core.runtime import Services

LOOP_PROBE_S = 0.01
STATEMENT = re.compile(r"^\s*(INSERT INTO|UPDATE|DELETE FROM|SELECT\b.*?\bFROM)\s+\"?(\w+)", re.I | re.S)


class Timings:
    """Durations (and sizes) per name since the last snapshot."""

    def __init__(self) -> None:
        self._values: defaultdict[str, list[float]] = defaultdict(list)

    def record(self, name: str, value: float) -> None:
        self._values[name].append(value)

    def since(self, name: str, started: float) -> None:
        self.record(name, time.perf_counter() - started)

    def snapshot_and_reset(self) -> dict[str, dict[str, float]]:
        values, self._values = self._values, defaultdict(list)
        return {name: summarize(v) for name, v in sorted(values.items())}


def summarize(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "mean": sum(ordered) / len(ordered),
        "p50": ordered[math.ceil(0.5 * len(ordered)) - 1],
        "p99": ordered[math.ceil(0.99 * len(ordered)) - 1],
        "max": ordered[-1],
        "total": sum(ordered),
    }


class TimingInterceptor(temporal_client.Interceptor, temporal_worker.Interceptor):
    """Times the API's Temporal calls and the worker's (local) activities, and counts alerts per call."""

    def __init__(self, timings: Timings) -> None:
        self.timings = timings

    def intercept_client(
        self, next: temporal_client.OutboundInterceptor
    ) -> temporal_client.OutboundInterceptor:
        return _ClientTimer(next, self.timings)

    def intercept_activity(
        self, next: temporal_worker.ActivityInboundInterceptor
    ) -> temporal_worker.ActivityInboundInterceptor:
        return _ActivityTimer(next, self.timings)


def _alerts_in(args: Any) -> int | None:
    """How many alerts a start, update or activity carries, to show how well they coalesce."""
    for arg in args or ():
        for holder in (arg, getattr(arg, "start", None)):
            alerts = getattr(holder, "alerts", None) or getattr(holder, "alert_ids", None)
            if alerts is not None:
                return len(alerts)
    return None


class _ClientTimer(temporal_client.OutboundInterceptor):
    def __init__(self, next: temporal_client.OutboundInterceptor, timings: Timings) -> None:
        super().__init__(next)
        self._timings = timings

    async def start_workflow(self, input: temporal_client.StartWorkflowInput) -> Any:
        started = time.perf_counter()
        try:
            return await super().start_workflow(input)
        finally:
            self._timings.since("temporal: start incident workflow", started)
            self._count(input.args, "alerts per workflow start")

    async def start_workflow_update(self, input: temporal_client.StartWorkflowUpdateInput) -> Any:
        started = time.perf_counter()
        try:
            return await super().start_workflow_update(input)
        finally:
            self._timings.since(f"temporal: update {input.update}", started)
            self._count(input.args, "alerts per update")

    def _count(self, args: Any, name: str) -> None:
        alerts = _alerts_in(args)
        if alerts is not None:
            self._timings.record(name, alerts)


class _ActivityTimer(temporal_worker.ActivityInboundInterceptor):
    def __init__(self, next: temporal_worker.ActivityInboundInterceptor, timings: Timings) -> None:
        super().__init__(next)
        self._timings = timings

    async def execute_activity(self, input: temporal_worker.ExecuteActivityInput) -> Any:
        started = time.perf_counter()
        name = getattr(input.fn, "__name__", "activity")
        try:
            return await super().execute_activity(input)
        finally:
            self._timings.since(f"activity: {name}", started)
            alerts = _alerts_in(input.args)
            if alerts is not None:
                self._timings.record(f"alerts per {name}", alerts)


def timed_client(client: temporal_client.Client, timings: Timings) -> temporal_client.Client:
    """The same client with the timing interceptor, which a worker built on it inherits."""
    config = client.config()
    config["interceptors"] = [*config["interceptors"], TimingInterceptor(timings)]
    return temporal_client.Client(**config)


@contextlib.asynccontextmanager
async def timed_services(services: Services, timings: Timings) -> AsyncIterator[None]:
    """Times the database and the webhook's two steps, and probes the event loop, while inside."""
    time_database(services, timings)
    time_intake_and_routing(services, timings)
    probe = asyncio.create_task(probe_event_loop(timings))
    try:
        yield
    finally:
        probe.cancel()


def time_database(services: Services, timings: Timings) -> None:
    engine = services.engine.sync_engine

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        started = conn.info["bench_started"].pop()
        match = STATEMENT.match(statement)
        label = f"{match.group(1).split()[0]} {match.group(2)}" if match else statement.split()[0]
        timings.since(f"db: {label.upper()}", started)


def time_intake_and_routing(services: Services, timings: Timings) -> None:
    """Wraps the two steps of a webhook after authentication: store the alert, route it to its incident."""
    store = services.intake.store
    send = services.dispatch.send

    async def timed_store(row: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return await store(row)
        finally:
            timings.since("webhook: store alert (batched insert)", started)

    def timed_send(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        routed = send(*args, **kwargs)
        routed.add_done_callback(lambda _: timings.since("webhook: route alert to incident", started))
        return routed

    # Instance attributes shadow the methods on these two objects only; the classes stay as shipped.
    services.intake.store = timed_store  # type: ignore[method-assign]
    services.dispatch.send = timed_send  # type: ignore[method-assign]


Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]


def timed_asgi(app: ASGIApp, timings: Timings) -> ASGIApp:
    """The whole request as the server sees it (what the client sees minus the network and its own queue)."""

    async def wrapped(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await app(scope, receive, send)
        finally:
            timings.since("webhook: whole request in the server", started)

    return wrapped


async def probe_event_loop(timings: Timings) -> None:
    """How late a 10 ms sleep wakes up: the API + worker event loop's queueing delay."""
    while True:
        started = time.perf_counter()
        await asyncio.sleep(LOOP_PROBE_S)
        timings.record("event loop lag", time.perf_counter() - started - LOOP_PROBE_S)
