"""The readable side of the figures: one table, then one PASS/FAIL line per target."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Target:
    name: str
    passed: bool
    seen: str
    # A failed correctness check fails the run; a missed performance target is only reported.
    correctness: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def latencies(phase: dict[str, Any]) -> str:
    return " / ".join(ms(phase.get(f"latency_p{p}_ms")) for p in (50, 95, 99))


def statuses(phase: dict[str, Any]) -> str:
    codes = ", ".join(f"{code}: {n}" for code, n in phase["status_codes"].items()) or "none"
    return codes + (f", transport errors: {phase['transport_errors']}" if phase["transport_errors"] else "")


def accept_rate(phase: dict[str, Any]) -> str:
    return f"{100 * phase['accept_rate']:.1f} % ({phase['accepted']}/{phase['sent']})"


def cpu(phase: dict[str, Any]) -> str:
    used = phase.get("cpu_cores_used") or {}
    return ", ".join(f"{name} {cores:.2f}" for name, cores in used.items()) or "n/a"


def counted(phase: dict[str, Any]) -> str:
    if phase.get("counted") is None:
        return "not checked (no database)"
    state = "all" if phase["counted"] else "NOT ALL"
    return f"{state}: {phase['alerts_attached']} attached, alert_count sum {phase['alert_count_sum']}"


def throughput_rows(tp: dict[str, Any]) -> list[tuple[str, str]]:
    e2e = tp.get("end_to_end_per_s")
    rows = [
        (
            "end-to-end throughput",
            f"{e2e:.1f} alerts/s ({tp['alerts']} alerts, first send → last counted "
            f"{tp['end_to_end_seconds']:.2f} s)"
            if e2e
            else "n/a",
        ),
        ("accept throughput (HTTP only)", f"{tp['accept_throughput_per_s']:.1f} alerts/s"),
        ("accept rate", accept_rate(tp)),
        ("status codes", statuses(tp)),
        ("webhook latency p50 / p95 / p99", latencies(tp)),
        ("counted in incidents", counted(tp)),
    ]
    near, far = tp["repeat_distance_p50_p90"]
    rows.append(
        (
            "key mix",
            f"{tp['keys']} keys, {tp['alerts'] - tp['keys']} repeats; a repeat comes "
            f"{near} (p50) / {far} (p90) alerts after its key's first",
        )
    )
    if tp.get("incidents") is not None:
        rows.append(("incidents opened", f"{tp['incidents']} (for {tp['keys']} keys)"))
    if tp.get("noise_reduction") is not None:
        rows.append(("noise reduction", f"{100 * tp['noise_reduction']:.1f} %"))
    rows.append(("CPU cores used", cpu(tp)))
    return rows


def rate(phase: dict[str, Any]) -> str:
    e2e = phase.get("end_to_end_per_s")
    told = notices(phase)
    counted = f"{e2e:.1f} alerts/s ({phase['end_to_end_seconds']:.2f} s)" if e2e else "never counted"
    return f"{counted}; {told}" if told else counted


def notices(phase: dict[str, Any]) -> str:
    """The phase's assignment notices and when the outbox had dispatched them (empty: none written)."""
    if not phase.get("assignment_notices"):
        return ""
    emails = ", ".join(f"{n} {status}" for status, n in sorted(phase["assignment_emails"].items()))
    left = phase.get("notices_left_in_outbox")
    drained = (
        f"outbox empty at {phase['notified_seconds']:.2f} s"
        if phase.get("notified_seconds") is not None
        else f"{left} still in the outbox"
    )
    return f"{phase['assignment_notices']} assignment notices (email: {emails or 'none'}), {drained}"


def sla_rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    """Intake-only without and with SLA clocks + auto-assignment, in the order they ran (A B B A)."""
    again = figures.get("sla_again") or {}
    ratio = figures.get("sla_ratio") or {}
    rows = [
        ("1. without", rate(figures["without_sla"])),
        ("2. with", rate(figures["throughput"])),
    ]
    if again:
        rows += [("3. with", rate(again["throughput"])), ("4. without", rate(again["without_sla"]))]
    if ratio.get("pooled"):
        pairs = ", ".join(f"{r:.2f}x" for r in ratio["pairs"])
        rows.append(
            (
                "with / without",
                f"{ratio['with_per_s']:.1f} / {ratio['without_per_s']:.1f} alerts/s = "
                f"{ratio['pooled']:.2f}x pooled (pairs: {pairs})",
            )
        )
    return rows


def without_sla_rows(bare: dict[str, Any]) -> list[tuple[str, str]]:
    e2e = bare.get("end_to_end_per_s")
    rows = [
        (
            "end-to-end throughput",
            f"{e2e:.1f} alerts/s (first send → last counted {bare['end_to_end_seconds']:.2f} s)"
            if e2e
            else "n/a",
        ),
        ("accept throughput (HTTP only)", f"{bare['accept_throughput_per_s']:.1f} alerts/s"),
        ("webhook latency p50 / p95 / p99", latencies(bare)),
        ("counted in incidents", counted(bare)),
    ]
    if bare.get("incidents") is not None:
        rows.append(("incidents opened", f"{bare['incidents']} (for {bare['keys']} keys)"))
    rows.append(("CPU cores used", cpu(bare)))
    return rows


def by_kind(counts: dict[str, int]) -> str:
    kinds = ", ".join(f"{k}: {n}" for k, n in sorted(counts.items()))
    return f"{sum(counts.values())}" + (f" ({kinds})" if kinds else "")


def decisions_rows(dec: dict[str, Any], tp: dict[str, Any]) -> list[tuple[str, str]]:
    e2e, intake = dec.get("end_to_end_per_s"), tp.get("end_to_end_per_s")
    settled = dec.get("settled_per_s")
    rows = [
        (
            "end-to-end throughput",
            f"{e2e:.1f} alerts/s (first send → last counted {dec['end_to_end_seconds']:.2f} s)"
            if e2e
            else "n/a",
        ),
        ("with decisions / intake-only", f"{e2e / intake:.2f}x" if e2e and intake else "n/a"),
        (
            "until decided and healed",
            f"{settled:.1f} alerts/s (first send → last decision made and run finished "
            f"{dec['settled_seconds']:.2f} s)"
            if settled
            else "never settled",
        ),
        ("accept throughput (HTTP only)", f"{dec['accept_throughput_per_s']:.1f} alerts/s"),
        ("webhook latency p50 / p95 / p99", latencies(dec)),
        ("counted in incidents", counted(dec)),
    ]
    if "decisions" in dec:
        rows.append(("decisions made", by_kind(dec["decisions"])))
        rows.append(("runbook runs", by_kind(dec["runs"])))
    if dec.get("incidents") is not None:
        rows.append(("incidents opened", f"{dec['incidents']} (for {dec['keys']} keys)"))
    rows.append(("CPU cores used", cpu(dec)))
    return rows


def latency_rows(lat: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("webhook latency p50 / p95 / p99", latencies(lat) + " (from scheduled send time)"),
        ("accept rate", accept_rate(lat)),
        ("status codes", statuses(lat)),
        ("sender lag p99", ms(lat.get("sender_lag_p99_ms"))),
        ("counted in incidents", counted(lat)),
        ("CPU cores used", cpu(lat)),
    ]


def storm_rows(storm: dict[str, Any]) -> list[tuple[str, str]]:
    took = storm.get("seconds_to_counted")
    return [
        ("time until all counted", "never" if took is None else f"{took:.2f} s"),
        ("incidents for the key", str(storm.get("incidents_for_key", "n/a"))),
        ("errors (non-2xx or transport)", str(storm["failed_requests"])),
        ("status codes", statuses(storm)),
        ("webhook latency p50 / p95 / p99", latencies(storm)),
        ("counted in incidents", counted(storm)),
        ("CPU cores used", cpu(storm)),
    ]


def baseline_rows(base: dict[str, Any], tp: dict[str, Any]) -> list[tuple[str, str]]:
    e2e = tp.get("end_to_end_per_s")
    errors = ", ".join(f"{k}: {n}" for k, n in base["errors"].items()) or "0"
    return [
        (
            "throughput",
            f"{base['per_s']:.1f} alerts/s ({base['completed']}/{base['alerts']} in {base['seconds']:.2f} s)",
        ),
        ("call latency p50 / p95 / p99", latencies(base)),
        ("retries (busy workflow) / errors", f"{base['retries']} / {errors}"),
        ("CPU cores used", cpu(base)),
        ("end-to-end / baseline", f"{e2e / base['per_s']:.2f}x" if e2e and base["per_s"] else "n/a"),
    ]


def start_ceiling_rows(ceiling: dict[str, Any], base: dict[str, Any]) -> list[tuple[str, str]]:
    """Each incident is its own workflow, so the rate of bare starts bounds the end-to-end rate."""
    fraction = ceiling["new_incident_fraction"]
    bound = ceiling["per_s"] / fraction if fraction else 0.0
    errors = ", ".join(f"{k}: {n}" for k, n in ceiling["errors"].items()) or "0"
    rows = [
        (
            "starts per second",
            f"{ceiling['per_s']:.1f} ({ceiling['completed']} in {ceiling['seconds']:.2f} s)",
        ),
        ("start latency p50 / p95 / p99", latencies(ceiling)),
        ("errors", errors),
        ("CPU cores used", cpu(ceiling)),
        (
            f"end-to-end bound at {fraction:.0%} new incidents",
            f"{bound:.1f} alerts/s (starts/s ÷ {fraction:g})",
        ),
    ]
    if base.get("per_s"):
        rows.append(("2x baseline would need", f"{2 * base['per_s']:.1f} alerts/s"))
    return rows


def decisions_note(phase: dict[str, Any]) -> str:
    return ", decisions on" if phase.get("decisions_on") else ""


def build_table(figures: dict[str, Any]) -> Table:
    table = Table(title="Alert Whisperer ingest benchmark", show_lines=False)
    table.add_column("measure")
    table.add_column("value")
    table.add_row("stack", figures["stack"])
    table.add_row("load generator", figures["load_generator"])
    if timings := figures.get("server_timings"):
        table.add_row("inside the stack", timings)
    table.add_row("CPUs / wall time", f"{figures['cpus']} / {figures['wall_seconds']} s")
    tp = figures["throughput"]
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    if bare := figures.get("without_sla"):
        sections.append(
            (
                "Intake-only without SLA clocks and auto-assignment (policy sla_tracking, auto_assignment "
                "off): the same stream, run first",
                without_sla_rows(bare),
            )
        )
        sections.append(
            (
                "SLA clocks + auto-assignment: intake-only with against without, same stream, A B B A",
                sla_rows(figures),
            )
        )
    sections.append(
        (
            f"Throughput: {tp['alerts']} alerts, {tp['keys']} keys, concurrency {tp['concurrency']}"
            + (" (intake-only, SLA clocks and auto-assignment on)" if bare else ""),
            throughput_rows(tp),
        )
    )
    if dec := figures.get("decisions"):
        sections.append(
            (
                "With decisions: the same stream to a tenant with runbooks (rules provider, local executor)",
                decisions_rows(dec, tp),
            )
        )
    if lat := figures.get("latency"):
        sections.append(
            (
                f"Latency: open loop at {lat['rate_per_s']:.3g} alerts/s for {lat['seconds']:g} s"
                + decisions_note(lat),
                latency_rows(lat),
            )
        )
    if storm := figures.get("storm"):
        sections.append(
            (
                f"Storm: {storm['alerts']} alerts for one key, concurrency {storm['concurrency']}"
                + decisions_note(storm),
                storm_rows(storm),
            )
        )
    if base := figures.get("baseline"):
        sections.append(
            (
                f"Baseline: update-with-start per alert, concurrency {base['concurrency']}",
                baseline_rows(base, tp),
            )
        )
    if ceiling := figures.get("start_ceiling"):
        sections.append(
            (
                f"Start ceiling: {ceiling['starts']} bare eager workflow starts, nothing else",
                start_ceiling_rows(ceiling, base or {}),
            )
        )
    for title, rows in sections:
        table.add_section()
        table.add_row(f"[bold]{title}", "")
        for name, value in rows:
            table.add_row(f"  {name}", value)
    return table


BREAKDOWN_PHASES = ("without_sla", "throughput", "decisions", "latency", "storm")


def breakdown_cell(stat: dict[str, float] | None, name: str) -> str:
    """Count, mean and p99: milliseconds for timers, plain numbers for the `alerts per ...` sizes."""
    if not stat:
        return ""
    if name.startswith("alerts per"):
        return f"{stat['count']:.0f} x mean {stat['mean']:.1f}, p99 {stat['p99']:.0f}, max {stat['max']:.0f}"
    return f"{stat['count']:.0f} x {1000 * stat['mean']:.1f} ms, p99 {1000 * stat['p99']:.1f} ms"


def build_breakdown(figures: dict[str, Any]) -> Table | None:
    phases = [p for p in BREAKDOWN_PHASES if figures.get(p, {}).get("server_breakdown")]
    if not phases:
        return None
    table = Table(title="Inside the stack: count x mean, p99 per step (API + worker process)")
    table.add_column("step")
    for phase in phases:
        table.add_column(phase)
    names = sorted({name for p in phases for name in figures[p]["server_breakdown"]})
    for name in names:
        table.add_row(name, *(breakdown_cell(figures[p]["server_breakdown"].get(name), name) for p in phases))
    return table


def build_round_trips(figures: dict[str, Any]) -> Table | None:
    groups = figures.get("round_trips")
    if not groups:
        return None
    table = Table(title="Temporal history per incident (mean over a sample; run: its runbook runs' own)")
    table.add_column("events")
    for group, values in groups.items():
        table.add_column(f"{group} ({values['incidents']:.0f})")
    names = sorted({name for values in groups.values() for name in values if name != "incidents"})
    for name in names:
        table.add_row(name, *(f"{values.get(name, 0):.1f}" for values in groups.values()))
    return table


NOISY_CORES = 0.25


def noise_warnings(figures: dict[str, Any]) -> list[str]:
    """Phases during which other processes used the cores: their figures are lower than the stack's own."""
    warnings = []
    for phase in ("without_sla", "throughput", "decisions", "latency", "storm", "baseline", "start_ceiling"):
        rest = figures.get(phase, {}).get("cpu_cores_used", {}).get("rest of machine", 0.0)
        if rest > NOISY_CORES:
            warnings.append(f"{phase}: other processes kept {rest:.2f} cores busy meanwhile")
    return warnings


def print_report(figures: dict[str, Any], checks: list[Target]) -> None:
    console = Console(width=max(120, Console().width))
    console.print(build_table(figures))
    for extra in (build_breakdown(figures), build_round_trips(figures)):
        if extra is not None:
            console.print(extra)
    for warning in noise_warnings(figures):
        console.print(f"[yellow]noisy machine:[/yellow] {warning}", highlight=False)
    for phase in ("without_sla", "throughput", "decisions", "latency", "storm"):
        for sample in figures.get(phase, {}).get("error_samples", [])[:3]:
            console.print(f"[yellow]{phase} error sample:[/yellow] {sample}", markup=True, highlight=False)
    for check in checks:
        verdict = "[green]PASS[/green]" if check.passed else "[red]FAIL[/red]"
        kind = "correctness" if check.correctness else "target"
        console.print(f"{verdict} {kind}: {check.name} ({check.seen})")
