"""KPI query benchmark: bulk-loads one tenant with N alerts (plus proportional incidents and runbook runs,
and a neighbour tenant with a tenth of that) into a throwaway PostgreSQL database, then times
`GET /api/kpis`' query (core/kpis/report.py) over the last 30 days in day and hour buckets.

    .venv/bin/python bench/kpis.py                     # 1,000,000 alerts
    .venv/bin/python bench/kpis.py --alerts 20000      # CI size

Rows go in with COPY (asyncpg), then VACUUM ANALYZE, as autovacuum would leave a settled table. Exit
status 1 only when the figures are wrong (alerts or incidents not all counted).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from process_stack import POSTGRES_ADMIN, sqlalchemy_url, throwaway_postgres
from sqlalchemy import text

from core.db.engine import create_engine, session_factory
from core.db.migrate import upgrade_to_head
from core.kpis.report import kpi_report
from core.kpis.shape import Bucket, KpiReport
from core.kpis.window import kpi_window

ALERTS_PER_INCIDENT = 20
CHUNK = 50_000
TARGET_S = 1.0

ALERT_COLUMNS = [
    "id", "company_id", "delivery_id", "asset_name", "signature", "severity", "message", "tool_source",
    "labels", "status", "fingerprint", "aggregation_key", "received_at", "incident_id", "disposition",
    "delivery_attempts",
]  # fmt: skip
INCIDENT_COLUMNS = [
    "id", "company_id", "aggregation_key", "generation", "status", "severity", "priority_score",
    "alert_count", "recovery_count", "tool_sources", "recovered_series", "signature", "asset_name", "title",
    "created_at", "updated_at", "acknowledged_at", "resolved_at", "resolution", "awaiting_confirmation",
    "flapping_series", "remediation", "sla", "escalated", "escalation_level",
]  # fmt: skip
RUN_COLUMNS = [
    "id", "incident_id", "company_id", "asset_name", "signature", "runbook_id", "status", "requested_by",
    "approval", "steps", "requested_at",
]  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=1_000_000, help="alerts of the measured tenant")
    parser.add_argument("--days", type=int, default=30, help="spread over this many days up to now")
    parser.add_argument("--runs", type=int, default=5, help="timed queries per bucket (after one warm-up)")
    parser.add_argument("--postgres-admin", default=POSTGRES_ADMIN, help="creates and drops its database")
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Tenant:
    """Rows of one company: incidents with ALERTS_PER_INCIDENT alerts over two series, a few alerts
    suppressed or with no open incident, and a runbook run for every fifth incident."""

    def __init__(self, company_id: str, alerts: int, start: datetime, end: datetime, seed: int) -> None:
        self.company_id, self.alerts, self.start, self.end = company_id, alerts, start, end
        self.random = random.Random(seed)
        self.incidents = max(alerts * 94 // 100 // ALERTS_PER_INCIDENT, 1)

    def moment(self) -> datetime:
        return self.start + (self.end - self.start) * self.random.random()

    def rows(self) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """("alert" | "incident" | "run", record), `self.alerts` alerts in all."""
        made = 0
        for n in range(self.incidents):
            incident, created = f"incident-{self.company_id}-{n}", self.moment()
            yield "incident", self.incident(incident, created)
            if n % 5 == 0:
                yield "run", self.run(incident, created)
            for k in range(ALERTS_PER_INCIDENT):
                at = min(created + timedelta(seconds=90 * k), self.end - timedelta(seconds=1))
                yield "alert", self.alert(f"{incident}-{k}", at, incident, f"fp-{n}-{k % 2}", None)
                made += 1
        while made < self.alerts:
            disposition = "suppressed" if made % 5 else "no_open_incident"
            yield (
                "alert",
                self.alert(f"al-{self.company_id}-{made}", self.moment(), None, "fp-x", disposition),
            )
            made += 1

    def alert(
        self, alert_id: str, at: datetime, incident: str | None, fp: str, disposition: str | None
    ) -> tuple[Any, ...]:
        return (
            alert_id, self.company_id, alert_id, "web-1", "disk_full", "high", "disk full", "generic", "{}",
            "firing", fp, "web-1|disk_full", at, incident, disposition, 0,
        )  # fmt: skip

    def incident(self, incident_id: str, created: datetime) -> tuple[Any, ...]:
        draw = self.random.random()
        acked = created + timedelta(seconds=self.random.uniform(30, 1800)) if draw < 0.8 else None
        resolved = created + timedelta(seconds=self.random.uniform(300, 20_000)) if draw < 0.7 else None
        resolution = ("auto_remediated" if draw < 0.3 else "confirmed") if resolved else None
        approval = {"required_role": "technician" if draw < 0.1 else None}
        sla = {
            "response": {"kind": "response", "target_s": 900, "breached": draw > 0.9},
            "resolution": {"kind": "resolution", "target_s": 14400, "breached": draw > 0.85},
        }
        return (
            incident_id, self.company_id, incident_id, 1, "resolved" if resolved else "in_progress", "high",
            50,
            ALERTS_PER_INCIDENT, 0, '["generic"]', "[]", "disk_full", "web-1", "disk full on web-1", created,
            created, acked, resolved, resolution, False, "[]", json.dumps({"approval": approval}),
            json.dumps(sla), False, 0,
        )  # fmt: skip

    def run(self, incident_id: str, created: datetime) -> tuple[Any, ...]:
        requested = created + timedelta(seconds=20)
        decided = requested + timedelta(seconds=self.random.uniform(10, 900))
        approval = {
            "required_role": "technician",
            "requested_at": requested.isoformat(),
            "approved": True,
            "decided_by": "usr_tech",
            "decided_at": decided.isoformat(),
        }
        return (
            f"run-{incident_id}", incident_id, self.company_id, "web-1", "disk_full", "rb_1", "succeeded",
            "system", json.dumps(approval), "[]", requested,
        )  # fmt: skip


async def load(dsn: str, tenants: list[Tenant]) -> float:
    started = time.perf_counter()
    connection = await asyncpg.connect(dsn)
    try:
        for tenant in tenants:
            buffers: dict[str, list[tuple[Any, ...]]] = {"alert": [], "incident": [], "run": []}
            loaded = 0
            for kind, record in tenant.rows():
                buffers[kind].append(record)
                if len(buffers["alert"]) >= CHUNK:
                    loaded += await flush(connection, buffers)
                    progress(started, tenant, loaded)
            if any(buffers.values()):
                loaded += await flush(connection, buffers)
                progress(started, tenant, loaded)
        log("VACUUM ANALYZE")
        for table in ("alert", "incident", "remediation_run"):
            await connection.execute(f"VACUUM ANALYZE {table}")
    finally:
        await connection.close()
    return time.perf_counter() - started


def progress(started: float, tenant: Tenant, loaded: int) -> None:
    elapsed = time.perf_counter() - started
    log(f"[{elapsed:6.1f} s] {tenant.company_id}: {loaded:,}/{tenant.alerts:,} alerts")


async def flush(connection: asyncpg.Connection, buffers: dict[str, list[tuple[Any, ...]]]) -> int:
    tables = {
        "alert": ("alert", ALERT_COLUMNS),
        "incident": ("incident", INCIDENT_COLUMNS),
        "run": ("remediation_run", RUN_COLUMNS),
    }
    for kind in ("incident", "run", "alert"):
        table, columns = tables[kind]
        if buffers[kind]:
            await connection.copy_records_to_table(table, records=buffers[kind], columns=columns)
    alerts = len(buffers["alert"])
    for rows in buffers.values():
        rows.clear()
    return alerts


def backend_cpu_s(pid: int) -> float | None:
    """CPU seconds the local PostgreSQL backend `pid` used so far: on a shared machine, what a query costs
    regardless of how long it waited for a core. None when PostgreSQL is not on this machine."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Timed:
    wall_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)  # the PostgreSQL backend's (its parallel workers' not)
    report: KpiReport | None = None


async def time_queries(url: str, company_id: str, end: datetime, days: int, runs: int) -> dict[Bucket, Timed]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    measured: dict[Bucket, Timed] = {}
    try:
        for bucket in ("day", "hour"):
            window = kpi_window(end - timedelta(days=days), end, bucket, end)
            timed = measured[bucket] = Timed()
            for run in range(runs + 1):
                async with sessions() as session:
                    pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                    cpu_before, began = backend_cpu_s(pid), time.perf_counter()
                    timed.report = await kpi_report(session, [company_id], window, company_id)
                    wall, cpu_after = time.perf_counter() - began, backend_cpu_s(pid)
                if run:  # the first one warms caches and connections
                    timed.wall_s.append(wall)
                    if cpu_before is not None and cpu_after is not None:
                        timed.cpu_s.append(cpu_after - cpu_before)
    finally:
        await engine.dispose()
    return measured


async def main(args: argparse.Namespace) -> int:
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=args.days)
    measured = Tenant("co_bench", args.alerts, start, end, seed=1)
    neighbour = Tenant("co_neighbour", max(args.alerts // 10, 1), start, end, seed=2)
    async with throwaway_postgres(args.postgres_admin, "aw_bench_kpis", keep=args.keep) as dsn:
        url = sqlalchemy_url(dsn)
        await asyncio.to_thread(upgrade_to_head, url)
        load_s = await load(dsn, [measured, neighbour])
        results = await time_queries(url, measured.company_id, end, args.days, args.runs)
    print(
        f"KPI query benchmark (PostgreSQL): {args.alerts:,} alerts and {measured.incidents:,} incidents in "
        f"one tenant over {args.days} days; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"  load (COPY + VACUUM ANALYZE, and a neighbour of {neighbour.alerts:,} alerts): {load_s:.1f} s")
    wrong = False
    for bucket, timed in results.items():
        assert timed.report is not None
        p50, worst = statistics.median(timed.wall_s), max(timed.wall_s)
        verdict = "PASS" if p50 <= TARGET_S else "FAIL"
        cpu = f", PostgreSQL CPU p50 {statistics.median(timed.cpu_s) * 1000:.0f} ms" if timed.cpu_s else ""
        print(
            f"  {bucket:4} buckets ({len(timed.report.series)} points): query p50 {p50 * 1000:.0f} ms, "
            f"max {worst * 1000:.0f} ms over {len(timed.wall_s)} runs{cpu}  "
            f"[{verdict}: p50 <= {TARGET_S:.0f} s]"
        )
        totals = timed.report.totals
        if (totals.alerts_received, totals.incidents_opened) != (measured.alerts, measured.incidents):
            print(f"  WRONG: counted {totals.alerts_received} alerts, {totals.incidents_opened} incidents")
            wrong = True
    report = results["day"].report
    assert report is not None
    t = report.totals
    print(
        f"  figures: noise reduction {t.noise_reduction} %, duplicates {t.alerts_duplicate:,}, "
        f"MTTA median {t.mtta_seconds.median} s, MTTR p90 {t.mttr_seconds.p90} s, "
        f"self-healing {t.self_healing} %, SLA compliance {t.sla_compliance} %"
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
