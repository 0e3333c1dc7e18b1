"""Ingest benchmark: signed webhooks in, alerts counted in incidents out, against a naive Temporal baseline.

    .venv/bin/python bench/ingest.py                       # full size, on a stack it starts and stops
    .venv/bin/python bench/ingest.py --alerts 300 --concurrency 20 --storm 300   # CI size
    .venv/bin/python bench/ingest.py --timings             # also time the stack's seams (costs its CPU)
    .venv/bin/python bench/ingest.py --url http://127.0.0.1:8000 --api-key K --hmac-secret S \\
        --database-url sqlite+aiosqlite:///data/alert_whisperer.db [--temporal-address 127.0.0.1:7233]

Exit status 1 only when a correctness check fails (an accepted alert never counted, a storm that opened
more than one incident or saw errors); performance targets print PASS/FAIL but do not fail the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baseline import run_baseline
from counting import IncidentCounter
from cpu import CpuMeter
from embedded_stack import RunningStack, StackInfo, no_breakdown, run_embedded, run_in_child
from progress_lines import LineProgress, progress_for
from report import Target, print_report
from rich.console import Console
from rich.progress import Progress
from traffic import (
    SIGNATURES,
    SendStats,
    Tenant,
    alert_body,
    closed_loop,
    key_stream,
    open_loop,
    percentile,
    repeat_distances,
)

NEW_KEY_FRACTION = 0.3
STORM_MAX_CONCURRENCY = 200
STACK_MODES = {
    "process": "embedded default (Temporal dev server with a WAL SQLite file, SQLite database, worker and "
    "API in one child process); load generator and baseline in this process",
    "inproc": "embedded default, all in this process: the load generator shares the API's event loop",
}

CLIENT_NOTES = {
    "aiohttp": "aiohttp.ClientSession, connection limit = concurrency",
    "httpx": "httpx.AsyncClient, connection limit = concurrency",
}
TIMINGS_NOTES = {
    True: "on: timers inside the stack (about 12 % of its CPU), see the table below",
    False: "off: the stack as shipped (--timings shows where its time goes, at a cost)",
}

stderr = Console(stderr=True)


@dataclass
class Bench:
    """What every phase needs: where to send, how to count, and how to show progress."""

    args: argparse.Namespace
    running: RunningStack
    tenant: Tenant
    counter: IncidentCounter | None
    progress: Progress | LineProgress
    cpu: CpuMeter
    run_id: str


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=3000, help="alerts in the throughput run")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight (and connections)")
    parser.add_argument("--storm", type=int, default=1000, help="alerts for one key sent at once")
    parser.add_argument(
        "--latency-rate",
        type=float,
        help="alerts/s of the latency run (default: half the measured end-to-end throughput)",
    )
    parser.add_argument("--latency-seconds", type=float, default=5.0)
    parser.add_argument(
        "--count-timeout",
        type=float,
        default=120.0,
        help="seconds to wait for accepted alerts to be counted before calling it a failure",
    )
    parser.add_argument(
        "--stack",
        choices=sorted(STACK_MODES),
        default="process",
        help="where the embedded stack runs (ignored with --url)",
    )
    parser.add_argument(
        "--tenant-rate-limit",
        type=float,
        default=100_000.0,
        help="per-company rate limit of the embedded stack (the product default, 200/s, "
        "would measure the limiter)",
    )
    parser.add_argument(
        "--client",
        choices=sorted(CLIENT_NOTES),
        default="aiohttp",
        help="HTTP client of the load generator (httpx costs 2-4 ms CPU per request, aiohttp ~0.1 ms; "
        "see bench/http_clients.py)",
    )
    parser.add_argument(
        "--timings",
        action="store_true",
        help="time the stack's seams (Temporal calls, database, webhook steps, event-loop lag) and "
        "report where its time goes; the timers cost about 12 %% of the stack's CPU",
    )
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--keep-logs", type=Path, help="copy the stack and Temporal logs into this folder")
    external = parser.add_argument_group("drive a stack the benchmark did not start")
    external.add_argument("--url")
    external.add_argument("--api-key")
    external.add_argument("--hmac-secret")
    external.add_argument("--database-url", help="read to see alerts counted; without it nothing is counted")
    external.add_argument("--temporal-address", help="for the baseline; without it the baseline is skipped")
    args = parser.parse_args(argv)
    if args.url and not (args.api_key and args.hmac_secret):
        parser.error("--url needs --api-key and --hmac-secret")
    if args.url and args.timings:
        parser.error("--timings needs a stack the benchmark starts (not --url)")
    return args


# --- stacks ---------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def open_stack(args: argparse.Namespace) -> AsyncIterator[tuple[RunningStack, str]]:
    if args.url:
        info = StackInfo(
            url=args.url.rstrip("/"),
            database_url=args.database_url,
            temporal_address=args.temporal_address,
            company_id=None,
            api_key=args.api_key,
            hmac_secret=args.hmac_secret,
        )
        yield RunningStack(info, no_breakdown), f"external stack at {args.url} (not started here)"
        return
    with tempfile.TemporaryDirectory(prefix="aw-bench-") as tmp:
        start = run_in_child if args.stack == "process" else run_embedded
        stderr.print("Starting the stack (Temporal dev server, migrations, worker, API)…")
        try:
            async with start(
                Path(tmp), tenant_rate_limit=args.tenant_rate_limit, timed=args.timings
            ) as running:
                yield running, STACK_MODES[args.stack]
                stderr.print("Stopping the stack…")
        finally:
            if args.keep_logs:
                keep_logs(Path(tmp), args.keep_logs)


def keep_logs(data_dir: Path, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    for log in data_dir.glob("*.log"):
        shutil.copy(log, into / log.name)


async def open_counter(stack: StackInfo) -> IncidentCounter | None:
    if not stack.database_url:
        return None
    if stack.company_id:
        return IncidentCounter(stack.database_url, stack.company_id)
    return await IncidentCounter.for_api_key(stack.database_url, stack.api_key)


def cpu_meter(stack: StackInfo) -> CpuMeter:
    if stack.app_pid == os.getpid():
        pids = {"temporal server": stack.temporal_pid, "API + worker + benchmark": stack.app_pid}
    else:
        pids = {
            "temporal server": stack.temporal_pid,
            "API + worker": stack.app_pid,
            "benchmark": os.getpid(),
        }
    return CpuMeter({name: pid for name, pid in pids.items() if pid})


# --- phases ---------------------------------------------------------------------------------------------


def send_figures(stats: SendStats) -> dict[str, Any]:
    return {
        "sent": stats.sent,
        "accepted": stats.accepted,
        "accept_rate": stats.accepted / stats.sent if stats.sent else 0.0,
        "queued_202": stats.queued,
        "status_codes": {str(code): n for code, n in sorted(stats.statuses.items())},
        "transport_errors": stats.transport_errors,
        "failed_requests": stats.failed,
        "error_samples": stats.error_samples,
        "send_seconds": round(stats.seconds, 3),
        "accept_throughput_per_s": stats.accepted / stats.seconds if stats.seconds else 0.0,
        **latency_figures(stats.latencies_ms),
    }


def latency_figures(latencies_ms: list[float]) -> dict[str, float | None]:
    return {f"latency_p{p}_ms": percentile(latencies_ms, p) for p in (50, 95, 99)}


async def wait_counted(
    bench: Bench, prefix: str, accepted: int, label: str
) -> tuple[dict[str, Any], float | None]:
    """Counting figures for one phase, and when all were counted (None: never, or no database to read)."""
    if bench.counter is None:
        return {"counted": None}, None
    task = bench.progress.add_task(f"{label}: counted in incidents", total=accepted)
    result = await bench.counter.wait_counted(
        prefix, accepted, bench.args.count_timeout, lambda n: bench.progress.update(task, completed=n)
    )
    bench.progress.remove_task(task)
    return {
        "counted": result.counted_at is not None,
        "alerts_attached": result.counts.attached,
        "alert_count_sum": result.counts.alert_sum,
        "incidents": result.counts.incidents,
    }, result.counted_at


def stream_bodies(prefix: str, count: int, seed: int) -> tuple[list[int], list[bytes]]:
    keys = key_stream(count, NEW_KEY_FRACTION, random.Random(seed))
    return keys, [alert_body(prefix, key) for key in keys]


@contextlib.asynccontextmanager
async def measured(bench: Bench) -> AsyncIterator[dict[str, Any]]:
    """CPU per process and the server-side breakdown over one phase, filled in when it ends."""
    figures: dict[str, Any] = {}
    await bench.running.breakdown()  # drops whatever the stack did before this phase
    bench.cpu.start()
    yield figures
    figures["cpu_cores_used"] = bench.cpu.stop()
    if bench.args.timings:
        figures["server_breakdown"] = await bench.running.breakdown()


async def throughput_phase(bench: Bench) -> dict[str, Any]:
    prefix = f"bench-{bench.run_id}-tp"
    keys, bodies = stream_bodies(prefix, bench.args.alerts, bench.args.seed)
    task = bench.progress.add_task("throughput: sending", total=len(bodies))
    async with measured(bench) as usage:
        stats = await closed_loop(
            bench.tenant, bodies, bench.args.concurrency, lambda: bench.progress.advance(task)
        )
        counted, counted_at = await wait_counted(bench, prefix, stats.accepted, "throughput")
    distances = repeat_distances(keys)
    figures = {
        "alerts": len(bodies),
        "keys": len(set(keys)),
        "repeat_distance_p50_p90": [percentile(distances, 50), percentile(distances, 90)],
        "concurrency": bench.args.concurrency,
        **send_figures(stats),
        **counted,
        **usage,
    }
    if counted_at is not None:
        figures["end_to_end_seconds"] = counted_at - stats.started
        figures["end_to_end_per_s"] = len(bodies) / figures["end_to_end_seconds"]
    if counted.get("incidents") is not None and stats.accepted:
        figures["noise_reduction"] = 1 - counted["incidents"] / stats.accepted
    return figures


async def latency_phase(bench: Bench, rate: float) -> dict[str, Any]:
    prefix = f"bench-{bench.run_id}-lat"
    count = max(1, round(rate * bench.args.latency_seconds))
    _, bodies = stream_bodies(prefix, count, bench.args.seed + 1)
    task = bench.progress.add_task(f"latency at {rate:.3g}/s: sending", total=len(bodies))
    async with measured(bench) as usage:
        stats = await open_loop(
            bench.tenant, bodies, rate, bench.args.concurrency, lambda: bench.progress.advance(task)
        )
        counted, _ = await wait_counted(bench, prefix, stats.accepted, "latency")
    return {
        "rate_per_s": rate,
        "seconds": bench.args.latency_seconds,
        **send_figures(stats),
        "sender_lag_p99_ms": percentile(stats.lags_ms, 99),
        **counted,
        **usage,
    }


async def storm_phase(bench: Bench) -> dict[str, Any]:
    prefix = f"bench-{bench.run_id}-storm"
    count = bench.args.storm
    concurrency = min(STORM_MAX_CONCURRENCY, count)
    bodies = [alert_body(prefix, 0)] * count  # same key; each send gets its own delivery id
    task = bench.progress.add_task("storm: sending", total=count)
    async with measured(bench) as usage:
        stats = await closed_loop(bench.tenant, bodies, concurrency, lambda: bench.progress.advance(task))
        counted, counted_at = await wait_counted(bench, prefix, stats.accepted, "storm")
    figures = {"alerts": count, "concurrency": concurrency, **send_figures(stats), **counted, **usage}
    if counted_at is not None:
        figures["seconds_to_counted"] = counted_at - stats.started
    if bench.counter is not None:
        storm_asset = f"{prefix}-{0:06d}"
        figures["incidents_for_key"] = await bench.counter.incidents_for_key(storm_asset, SIGNATURES[0])
    return figures


async def baseline_phase(bench: Bench) -> dict[str, Any]:
    address = bench.running.info.temporal_address
    assert address
    keys = key_stream(bench.args.alerts, NEW_KEY_FRACTION, random.Random(bench.args.seed))
    task = bench.progress.add_task("baseline: update-with-start per alert", total=len(keys))
    async with measured(bench) as usage:
        stats = await run_baseline(
            address, keys, bench.args.concurrency, lambda: bench.progress.advance(task)
        )
    usage.pop("server_breakdown", None)  # the stack sits idle; the baseline runs in this process
    return {
        "alerts": len(keys),
        "keys": len(set(keys)),
        "concurrency": bench.args.concurrency,
        "completed": stats.completed,
        "retries": stats.retries,
        "errors": dict(stats.errors),
        "seconds": round(stats.finished - stats.started, 3),
        "per_s": stats.rate,
        **latency_figures(stats.latencies_ms),
        **usage,
    }


# --- the run --------------------------------------------------------------------------------------------


def default_latency_rate(throughput: dict[str, Any]) -> float:
    measured = throughput.get("end_to_end_per_s") or throughput["accept_throughput_per_s"]
    return max(1.0, measured / 2)


async def run_phases(bench: Bench) -> dict[str, Any]:
    figures: dict[str, Any] = {"throughput": await throughput_phase(bench)}
    rate = bench.args.latency_rate or default_latency_rate(figures["throughput"])
    figures["latency"] = await latency_phase(bench, rate)
    if bench.args.storm > 0:
        figures["storm"] = await storm_phase(bench)
    if bench.running.info.temporal_address and not bench.args.no_baseline:
        figures["baseline"] = await baseline_phase(bench)
    return figures


def stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so the stack, its Temporal server and the temp dir are cleaned up."""
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)


async def bench_main(args: argparse.Namespace) -> dict[str, Any]:
    stop_on_sigterm()
    async with open_stack(args) as (running, mode):
        stack = running.info
        counter = await open_counter(stack)
        tenant = Tenant(stack.url, stack.api_key, stack.hmac_secret, client=args.client)
        progress = progress_for(stderr)
        bench = Bench(args, running, tenant, counter, progress, cpu_meter(stack), uuid.uuid4().hex[:8])
        try:
            with progress:
                figures = await run_phases(bench)
        finally:
            if counter is not None:
                await counter.close()
    shown_args = {k: str(v) for k, v in vars(args).items() if k not in ("api_key", "hmac_secret")}
    return {
        "stack": mode,
        "load_generator": CLIENT_NOTES[args.client],
        "server_timings": None if args.url else TIMINGS_NOTES[args.timings],
        "cpus": os.cpu_count(),
        "args": shown_args,
        **figures,
    }


def targets(figures: dict[str, Any]) -> list[Target]:
    """Performance targets (reported) and correctness checks (fail the run)."""
    return performance_targets(figures) + storm_checks(figures.get("storm")) + counting_checks(figures)


def performance_targets(figures: dict[str, Any]) -> list[Target]:
    tp, lat, storm, base = (figures.get(k, {}) for k in ("throughput", "latency", "storm", "baseline"))
    e2e, base_rate = tp.get("end_to_end_per_s"), base.get("per_s")
    ratio = e2e / base_rate if e2e and base_rate else None
    p99 = lat.get("latency_p99_ms")
    checks = [
        Target(
            "end-to-end ≥ 2x baseline",
            ratio is not None and ratio >= 2,
            f"{ratio:.2f}x" if ratio else "not measured",
        ),
        Target(
            f"p99 < 100 ms at {lat.get('rate_per_s', 0):.3g} alerts/s",
            p99 is not None and p99 < 100,
            f"{p99:.1f} ms" if p99 is not None else "not measured",
        ),
    ]
    if storm:
        took = storm.get("seconds_to_counted")
        checks.append(
            Target(
                "storm counted ≤ 5 s",
                took is not None and took <= 5,
                f"{took:.2f} s" if took is not None else "never counted",
            )
        )
    return checks


def storm_checks(storm: dict[str, Any] | None) -> list[Target]:
    if not storm:
        return []
    checks = [
        Target(
            "storm had no errors",
            storm["failed_requests"] == 0,
            str(storm["failed_requests"]),
            correctness=True,
        )
    ]
    if storm.get("incidents_for_key") is not None:
        n = storm["incidents_for_key"]
        checks.append(Target("storm opened exactly one incident", n == 1, str(n), correctness=True))
    return checks


def counting_checks(figures: dict[str, Any]) -> list[Target]:
    checks = []
    for name in ("throughput", "latency", "storm"):
        phase = figures.get(name)
        if phase and phase.get("counted") is not None:
            seen = (
                f"{phase['accepted']} accepted, {phase['alerts_attached']} attached, "
                f"alert_count sum {phase['alert_count_sum']}"
            )
            checks.append(
                Target(f"{name}: every accepted alert counted", phase["counted"], seen, correctness=True)
            )
    return checks


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    try:
        figures = asyncio.run(bench_main(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        stderr.print("Interrupted; everything the benchmark started is stopped.")
        sys.exit(130)
    checks = targets(figures)
    figures["targets"] = [check.as_dict() for check in checks]
    figures["wall_seconds"] = round(time.perf_counter() - started, 1)
    print_report(figures, checks)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    sys.exit(1 if any(c.correctness and not c.passed for c in checks) else 0)


if __name__ == "__main__":
    main()
