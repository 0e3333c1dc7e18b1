"""The benchmark's phases: throughput intake-only (without, then with SLA clocks and auto-assignment) and
with decisions, latency at a fixed rate, a storm on one key, and the baseline."""

from __future__ import annotations

import argparse
import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from baseline import run_baseline, run_start_ceiling
from counting import IncidentCounter
from cpu import CpuMeter
from decision_load import round_trips
from embedded_stack import RunningStack
from progress_lines import LineProgress
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


ROUND_TRIP_SAMPLE = 20  # incidents per kind whose histories are read


@dataclass
class Bench:
    """What every phase needs: where to send, how to count, and how to show progress. `tenant` is
    intake-only; `decisions` (with its own counter) decides and runs runbooks, and `without_sla` is
    intake-only with SLA clocks and auto-assignment off, on a stack started here."""

    args: argparse.Namespace
    running: RunningStack
    tenant: Tenant
    counter: IncidentCounter | None
    progress: Progress | LineProgress
    cpu: CpuMeter
    run_id: str
    decisions: Tenant | None = None
    decisions_counter: IncidentCounter | None = None
    without_sla: Tenant | None = None
    without_sla_counter: IncidentCounter | None = None

    def pipeline(self) -> tuple[Tenant, IncidentCounter | None]:
        """Where latency and storm send: with decisions on where the stack has a tenant for them."""
        if self.decisions is not None:
            return self.decisions, self.decisions_counter
        return self.tenant, self.counter


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
    bench: Bench, counter: IncidentCounter | None, prefix: str, accepted: int, label: str
) -> tuple[dict[str, Any], float | None]:
    """Counting figures for one phase, and when all were counted (None: never, or no database to read)."""
    if counter is None:
        return {"counted": None}, None
    task = bench.progress.add_task(f"{label}: counted in incidents", total=accepted)
    result = await counter.wait_counted(
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


async def wait_settled(
    bench: Bench, counter: IncidentCounter | None, prefix: str, label: str
) -> tuple[dict[str, Any], float | None]:
    """Decisions and runbook runs of one phase once no more are coming, and since when."""
    if counter is None:
        return {}, None
    task = bench.progress.add_task(f"{label}: decisions made, runbook runs finished", total=1)
    counts, settled_at = await counter.wait_settled(prefix, bench.args.count_timeout)
    bench.progress.update(task, completed=1)
    bench.progress.remove_task(task)
    return {
        "settled": settled_at is not None,
        "decisions": counts.decisions,
        "runs": counts.runs,
        "undecided": counts.undecided,
    }, settled_at


async def wait_notified(
    bench: Bench, counter: IncidentCounter | None, prefix: str, label: str
) -> tuple[dict[str, Any], float | None]:
    """The phase's assignment notices once the notification outbox has dispatched them all, and since
    when: the phase ends then, so that no dispatching spills into the next phase's time or CPU."""
    if counter is None:
        return {}, None
    task = bench.progress.add_task(f"{label}: assignment notices dispatched", total=1)
    counts, drained_at = await counter.wait_notified(prefix, bench.args.count_timeout)
    bench.progress.update(task, completed=1)
    bench.progress.remove_task(task)
    return {
        "assignment_notices": counts.assignments,
        "assignment_emails": counts.email,
        "notices_left_in_outbox": counts.outboxed,
    }, drained_at


async def throughput_phase(bench: Bench) -> dict[str, Any]:
    return await closed_loop_phase(bench, bench.tenant, bench.counter, "tp", "throughput")


async def without_sla_phase(bench: Bench, name: str = "bare") -> dict[str, Any]:
    """The throughput run's stream to the intake-only tenant whose policy keeps no SLA and assigns nobody."""
    assert bench.without_sla is not None
    return await closed_loop_phase(bench, bench.without_sla, bench.without_sla_counter, name, "no SLA")


async def sla_again_phase(bench: Bench) -> dict[str, Any]:
    """The SLA comparison once more in the other order (with, then without), so that a stack that warms
    up or fills up over the run favours neither side: A B B A."""
    with_sla = await closed_loop_phase(bench, bench.tenant, bench.counter, "tp2", "throughput again")
    return {"throughput": with_sla, "without_sla": await without_sla_phase(bench, "bare2")}


def sla_ratio(figures: dict[str, Any]) -> dict[str, Any]:
    """Intake-only with SLA clocks and auto-assignment against without, each pair and pooled (all alerts
    over all their seconds)."""
    pairs = [(figures.get("throughput", {}), figures.get("without_sla", {}))]
    again = figures.get("sla_again")
    if again:
        pairs.append((again["throughput"], again["without_sla"]))
    rates = [(w.get("end_to_end_per_s"), wo.get("end_to_end_per_s")) for w, wo in pairs]
    if not all(a and b for a, b in rates):
        return {"pairs": [], "pooled": None}

    def pooled(phases: list[dict[str, Any]]) -> float:
        return sum(p["alerts"] for p in phases) / sum(p["end_to_end_seconds"] for p in phases)

    with_rate, without_rate = pooled([w for w, _ in pairs]), pooled([wo for _, wo in pairs])
    return {
        "pairs": [a / b for a, b in rates],
        "with_per_s": with_rate,
        "without_per_s": without_rate,
        "pooled": with_rate / without_rate,
    }


async def decisions_phase(bench: Bench) -> dict[str, Any]:
    """The throughput run's stream (same size, keys and concurrency) to the tenant that decides."""
    assert bench.decisions is not None
    return await closed_loop_phase(
        bench, bench.decisions, bench.decisions_counter, "dec", "decisions", settle=True
    )


async def closed_loop_phase(
    bench: Bench,
    tenant: Tenant,
    counter: IncidentCounter | None,
    name: str,
    label: str,
    settle: bool = False,
) -> dict[str, Any]:
    """`settle`: also wait, within the phase, for its decisions and runbook runs to be done."""
    prefix = f"bench-{bench.run_id}-{name}"
    keys, bodies = stream_bodies(prefix, bench.args.alerts, bench.args.seed)
    task = bench.progress.add_task(f"{label}: sending", total=len(bodies))
    settled: dict[str, Any] = {}
    settled_at = None
    async with measured(bench) as usage:
        stats = await closed_loop(
            tenant, bodies, bench.args.concurrency, lambda: bench.progress.advance(task)
        )
        counted, counted_at = await wait_counted(bench, counter, prefix, stats.accepted, label)
        if settle:
            settled, settled_at = await wait_settled(bench, counter, prefix, label)
        notified, notified_at = await wait_notified(bench, counter, prefix, label)
    distances = repeat_distances(keys)
    figures = {
        "alerts": len(bodies),
        "keys": len(set(keys)),
        "repeat_distance_p50_p90": [percentile(distances, 50), percentile(distances, 90)],
        "concurrency": bench.args.concurrency,
        "prefix": prefix,
        **send_figures(stats),
        **counted,
        **settled,
        **notified,
        **usage,
    }
    if counted_at is not None:
        figures["end_to_end_seconds"] = counted_at - stats.started
    if notified_at is not None:
        figures["notified_seconds"] = notified_at - stats.started
        figures["end_to_end_per_s"] = len(bodies) / figures["end_to_end_seconds"]
    if settled_at is not None:
        figures["settled_seconds"] = settled_at - stats.started
        figures["settled_per_s"] = len(bodies) / figures["settled_seconds"]
    if counted.get("incidents") is not None and stats.accepted:
        figures["noise_reduction"] = 1 - counted["incidents"] / stats.accepted
    return figures


async def latency_phase(bench: Bench, rate: float) -> dict[str, Any]:
    prefix = f"bench-{bench.run_id}-lat"
    count = max(1, round(rate * bench.args.latency_seconds))
    _, bodies = stream_bodies(prefix, count, bench.args.seed + 1)
    task = bench.progress.add_task(f"latency at {rate:.3g}/s: sending", total=len(bodies))
    tenant, counter = bench.pipeline()
    async with measured(bench) as usage:
        stats = await open_loop(
            tenant, bodies, rate, bench.args.concurrency, lambda: bench.progress.advance(task)
        )
        counted, _ = await wait_counted(bench, counter, prefix, stats.accepted, "latency")
    settled, _ = await wait_settled(bench, counter if bench.decisions else None, prefix, "latency")
    return {
        "decisions_on": bench.decisions is not None,
        "rate_per_s": rate,
        "seconds": bench.args.latency_seconds,
        **send_figures(stats),
        "sender_lag_p99_ms": percentile(stats.lags_ms, 99),
        **counted,
        **settled,
        **usage,
    }


async def storm_phase(bench: Bench) -> dict[str, Any]:
    prefix = f"bench-{bench.run_id}-storm"
    count = bench.args.storm
    concurrency = min(STORM_MAX_CONCURRENCY, count)
    bodies = [alert_body(prefix, 0)] * count  # same key; each send gets its own delivery id
    task = bench.progress.add_task("storm: sending", total=count)
    tenant, counter = bench.pipeline()
    async with measured(bench) as usage:
        stats = await closed_loop(tenant, bodies, concurrency, lambda: bench.progress.advance(task))
        counted, counted_at = await wait_counted(bench, counter, prefix, stats.accepted, "storm")
    settled, _ = await wait_settled(bench, counter if bench.decisions else None, prefix, "storm")
    figures = {
        "alerts": count,
        "concurrency": concurrency,
        "decisions_on": bench.decisions is not None,
        **send_figures(stats),
        **counted,
        **settled,
        **usage,
    }
    if counted_at is not None:
        figures["seconds_to_counted"] = counted_at - stats.started
    if counter is not None:
        storm_asset = f"{prefix}-{0:06d}"
        figures["incidents_for_key"] = await counter.incidents_for_key(storm_asset, SIGNATURES[0])
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


async def start_ceiling_phase(bench: Bench) -> dict[str, Any]:
    address = bench.running.info.temporal_address
    assert address
    keys = key_stream(bench.args.alerts, NEW_KEY_FRACTION, random.Random(bench.args.seed))
    count = len(set(keys))  # as many workflows as the stream opens incidents
    task = bench.progress.add_task("start ceiling: bare eager workflow starts", total=count)
    async with measured(bench) as usage:
        stats = await run_start_ceiling(
            address, count, bench.args.concurrency, lambda: bench.progress.advance(task)
        )
    usage.pop("server_breakdown", None)
    return {
        "starts": count,
        "completed": stats.completed,
        "errors": dict(stats.errors),
        "seconds": round(stats.finished - stats.started, 3),
        "per_s": stats.rate,
        "new_incident_fraction": NEW_KEY_FRACTION,
        **latency_figures(stats.latencies_ms),
        **usage,
    }


# --- the run --------------------------------------------------------------------------------------------


def default_latency_rate(throughput: dict[str, Any]) -> float:
    measured = throughput.get("end_to_end_per_s") or throughput["accept_throughput_per_s"]
    return max(1.0, measured / 2)


async def round_trip_phase(
    bench: Bench, intake_prefix: str, decisions_prefix: str, bare_prefix: str | None
) -> dict[str, Any]:
    """Temporal events per incident: intake-only without and with SLA clocks and auto-assignment, and
    deciding (escalated, or ran a runbook)."""
    address = bench.running.info.temporal_address
    assert address and bench.counter is not None and bench.decisions_counter is not None
    groups: dict[str, list[str]] = {}
    if bare_prefix is not None and bench.without_sla_counter is not None:
        bare = await bench.without_sla_counter.incident_ids(bare_prefix, ROUND_TRIP_SAMPLE)
        groups["intake-only, no SLA"] = [i for i, _ in bare]
    intake = await bench.counter.incident_ids(intake_prefix, ROUND_TRIP_SAMPLE)
    deciding = await bench.decisions_counter.incident_ids(decisions_prefix, 10 * ROUND_TRIP_SAMPLE)
    groups |= {
        "intake-only": [i for i, _ in intake],
        "decided: escalated": [i for i, ran in deciding if not ran][:ROUND_TRIP_SAMPLE],
        "decided: ran a runbook": [i for i, ran in deciding if ran][:ROUND_TRIP_SAMPLE],
    }
    return await round_trips(address, groups)


async def run_phases(bench: Bench) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    # Without SLA first, then the same stream with it: side by side on the same stack.
    if bench.without_sla is not None:
        figures["without_sla"] = await without_sla_phase(bench)
    figures["throughput"] = await throughput_phase(bench)
    if bench.without_sla is not None:
        figures["sla_again"] = await sla_again_phase(bench)
        figures["sla_ratio"] = sla_ratio(figures)
    if bench.decisions is not None:
        figures["decisions"] = await decisions_phase(bench)
        if bench.decisions_counter is not None and bench.running.info.temporal_address:
            figures["round_trips"] = await round_trip_phase(
                bench,
                figures["throughput"]["prefix"],
                figures["decisions"]["prefix"],
                figures.get("without_sla", {}).get("prefix"),
            )
    # Half the end-to-end rate of the pipeline the latency run sends to: with decisions where it has them.
    measured = figures.get("decisions") or figures["throughput"]
    rate = bench.args.latency_rate or default_latency_rate(measured)
    figures["latency"] = await latency_phase(bench, rate)
    if bench.args.storm > 0:
        figures["storm"] = await storm_phase(bench)
    if bench.running.info.temporal_address and not bench.args.no_baseline:
        figures["baseline"] = await baseline_phase(bench)
        figures["start_ceiling"] = await start_ceiling_phase(bench)
    return figures
