"""Ingest benchmark: signed webhooks in, alerts counted in incidents out, against a naive Temporal baseline,
intake-only without and with SLA clocks and auto-assignment, and with decisions and runbook runs, all on
the same stack.

    .venv/bin/python bench/ingest.py                       # full size, on a stack it starts and stops
    .venv/bin/python bench/ingest.py --alerts 300 --concurrency 20 --storm 300   # CI size
    .venv/bin/python bench/ingest.py --timings             # also time the stack's seams (costs its CPU)
    .venv/bin/python bench/ingest.py --url http://127.0.0.1:8000 --api-key K --hmac-secret S \\
        --database-url sqlite+aiosqlite:///data/alert_whisperer.db [--temporal-address 127.0.0.1:7233]

Exit status 1 only when a correctness check fails (an accepted alert never counted, a storm that opened
more than one incident or saw errors, a decisions phase that decided nothing or healed nothing);
performance targets print PASS/FAIL but do not fail the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from counting import IncidentCounter
from cpu import CpuMeter
from embedded_stack import (
    RunningStack,
    StackInfo,
    TenantCredentials,
    no_breakdown,
    run_embedded,
    run_in_child,
)
from phases import Bench, run_phases
from progress_lines import progress_for
from report import Target, print_report
from rich.console import Console
from traffic import (
    Tenant,
)

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
        help="alerts/s of the latency run (default: half the measured end-to-end throughput of the "
        "tenant it sends to: the decisions tenant on a stack started here)",
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


def side(
    stack: StackInfo, creds: TenantCredentials | None, client: str
) -> tuple[Tenant | None, IncidentCounter | None]:
    """A tenant of the stack started here (decisions, without SLA) and its counter; none otherwise."""
    if creds is None:
        return None, None
    tenant = Tenant(stack.url, creds.api_key, creds.hmac_secret, client=client)
    counter = IncidentCounter(stack.database_url, creds.company_id) if stack.database_url else None
    return tenant, counter


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
        deciding, deciding_counter = side(stack, stack.decisions, args.client)
        bare, bare_counter = side(stack, stack.without_sla, args.client)
        progress = progress_for(stderr)
        bench = Bench(
            args,
            running,
            tenant,
            counter,
            progress,
            cpu_meter(stack),
            uuid.uuid4().hex[:8],
            decisions=deciding,
            decisions_counter=deciding_counter,
            without_sla=bare,
            without_sla_counter=bare_counter,
        )
        try:
            with progress:
                figures = await run_phases(bench)
        finally:
            for opened in (counter, deciding_counter, bare_counter):
                if opened is not None:
                    await opened.close()
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
    return (
        performance_targets(figures)
        + sla_targets(figures.get("sla_ratio"))
        + decisions_targets(figures.get("decisions"), figures.get("throughput", {}))
        + storm_checks(figures.get("storm"))
        + counting_checks(figures)
        + notice_checks(figures)
        + decisions_checks(figures.get("decisions"))
    )


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


DECISIONS_RATIO_TARGET = 0.7
SLA_RATIO_TARGET = 0.7  # issue 12: SLA clocks and auto-assignment keep 0.7x of intake-only


def sla_targets(sla: dict[str, Any] | None) -> list[Target]:
    if not sla:
        return []
    ratio = sla.get("pooled")
    return [
        Target(
            f"intake-only with SLA clocks + auto-assignment ≥ {SLA_RATIO_TARGET}x without",
            ratio is not None and ratio >= SLA_RATIO_TARGET,
            f"{ratio:.2f}x" if ratio is not None else "not measured",
        )
    ]


def decisions_targets(dec: dict[str, Any] | None, tp: dict[str, Any]) -> list[Target]:
    if not dec:
        return []
    with_, without = dec.get("end_to_end_per_s"), tp.get("end_to_end_per_s")
    ratio = with_ / without if with_ and without else None
    return [
        Target(
            f"end-to-end with decisions ≥ {DECISIONS_RATIO_TARGET}x intake-only",
            ratio is not None and ratio >= DECISIONS_RATIO_TARGET,
            f"{ratio:.2f}x" if ratio is not None else "not measured",
        )
    ]


def decisions_checks(dec: dict[str, Any] | None) -> list[Target]:
    """The decisions figure means something only if decisions were made and runbooks healed incidents."""
    if not dec or "decisions" not in dec:
        return []
    made, succeeded = sum(dec["decisions"].values()), dec["runs"].get("succeeded", 0)
    return [
        Target("decisions: incidents decided", made > 0, str(made), correctness=True),
        Target("decisions: runbook runs succeeded", succeeded > 0, str(succeeded), correctness=True),
        Target(
            "decisions: all decided and no run left active",
            bool(dec["settled"]),
            f"{dec['undecided']} undecided, runs {dec['runs']}",
            correctness=True,
        ),
    ]


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
    again = figures.get("sla_again") or {}
    phases = {
        name: figures.get(name) for name in ("without_sla", "throughput", "decisions", "latency", "storm")
    }
    phases |= {f"{name} again": phase for name, phase in again.items()}
    for name, phase in phases.items():
        if phase and phase.get("counted") is not None:
            seen = (
                f"{phase['accepted']} accepted, {phase['alerts_attached']} attached, "
                f"alert_count sum {phase['alert_count_sum']}"
            )
            checks.append(
                Target(f"{name}: every accepted alert counted", phase["counted"], seen, correctness=True)
            )
    return checks


def notice_checks(figures: dict[str, Any]) -> list[Target]:
    """With auto-assignment on, every incident's assignee is told: a notice per incident, all dispatched."""
    phases = {
        "throughput": figures.get("throughput"),
        "throughput again": figures.get("sla_again", {}).get("throughput"),
    }
    checks = []
    for name, phase in phases.items():
        if phase and phase.get("incidents") and "assignment_notices" in phase:
            told = (
                phase["assignment_notices"] == phase["incidents"]
                and phase.get("notified_seconds") is not None
            )
            seen = (
                f"{phase['assignment_notices']} notices for {phase['incidents']} incidents, "
                f"{phase['notices_left_in_outbox']} left in the outbox"
            )
            checks.append(Target(f"{name}: every assignee told", told, seen, correctness=True))
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
