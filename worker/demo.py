"""`alert-whisperer demo`: a realistic, signed alert stream against a running instance."""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.ingest.signature import sign_with_delivery_id
from worker.demo_lifecycle import (
    AdminLogin,
    Lifecycle,
    await_settled,
    company_of,
    print_lifecycle,
    runbook_figures,
    sign_in,
)


@dataclass(frozen=True)
class Scenario:
    asset: str
    signature: str
    severity: str
    message: str
    tool: str
    category: str
    weight: int  # its share of the stream after the opening round; 0: it fires once only
    expect: str  # what becomes of its first incident on `alert-whisperer dev`, for the docs and tests


# The opening round sends each scenario once, so even a short stream shows every outcome; the rest is
# drawn by weight. Only two of the eight problems have a runbook that may run unattended: the share
# that heals itself is set by this mix and the company's policy, not by the demo's code.
SCENARIOS = (
    Scenario(
        "web-02",
        "http_5xx_rate",
        "high",
        "5xx rate above 5% for 5 minutes",
        "prometheus",
        "Application",
        3,
        "healed ([demo] recycle web workers: low risk, auto-approve)",
    ),
    Scenario(
        "mail-01",
        "queue_backlog",
        "low",
        "Outbound mail queue above 500",
        "generic",
        "Server",
        2,
        "healed ([demo] flush mail queue: low risk, auto-approve)",
    ),
    Scenario(
        "api-gw",
        "latency_p99",
        "medium",
        "p99 latency above 800 ms",
        "cloudwatch",
        "Application",
        2,
        "awaiting approval ([demo] warm API cache: medium risk)",
    ),
    # A one-off: repeats would grow its alert count, deciding again until two failures in a row end
    # auto-approval, and it would then await approval instead of showing the rollback.
    Scenario(
        "db-prod-01",
        "slow_queries",
        "medium",
        "p95 query latency above 2 s",
        "datadog",
        "Database",
        0,
        "rolled back, escalated ([demo] rebuild query plans: its post-check fails)",
    ),
    Scenario(
        "db-prod-01",
        "memory_high",
        "high",
        "Memory usage above 90%",
        "datadog",
        "Database",
        2,
        "escalated (the starter SSM runbook has no instance to run on in the demo tenant)",
    ),
    Scenario(
        "web-01",
        "disk_space_critical",
        "critical",
        "Disk /var at 97%",
        "zabbix",
        "Server",
        2,
        "escalated (the starter SSM runbook has no instance to run on in the demo tenant)",
    ),
    Scenario(
        "fw-edge-01",
        "vpn_tunnel_down",
        "critical",
        "IPsec tunnel to branch office down",
        "zabbix",
        "Network",
        1,
        "escalated (no runbook)",
    ),
    Scenario(
        "k8s-node-3",
        "node_not_ready",
        "high",
        "Kubelet stopped posting status",
        "prometheus",
        "Server",
        2,
        "escalated (no runbook)",
    ),
)


@dataclass
class DemoSummary:
    statuses: Counter[int] = field(default_factory=Counter)
    incidents: set[str] = field(default_factory=set)
    duplicates: int = 0
    queued: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    lifecycle: Lifecycle | None = None

    def as_json(self, count: int) -> dict[str, Any]:
        return {
            "alerts_sent": count,
            "accepted": self.statuses[200] + self.statuses[202],
            "queued": self.queued,
            "errors": len(self.errors),
            "lifecycle": self.lifecycle.as_json() if self.lifecycle else None,
        }


def demo_stream(rng: random.Random, count: int) -> list[dict[str, object]]:
    opening = rng.sample(SCENARIOS, len(SCENARIOS))
    rest = rng.choices(SCENARIOS, weights=[s.weight for s in SCENARIOS], k=max(count - len(opening), 0))
    return [demo_alert(rng, scenario) for scenario in [*opening, *rest][:count]]


def demo_alert(rng: random.Random, scenario: Scenario) -> dict[str, object]:
    severity = scenario.severity
    if rng.random() < 0.15:
        severity = rng.choice(["low", "medium", "high", "critical"])
    return {
        "asset_name": scenario.asset,
        "signature": scenario.signature,
        "severity": severity,
        "message": scenario.message,
        "tool_source": scenario.tool,
        "category": scenario.category,
    }


async def send_alert(
    client: httpx.AsyncClient, url: str, api_key: str, hmac_secret: str, alert: dict[str, object]
) -> httpx.Response:
    body = json.dumps(alert).encode()
    # The demo repeats scenarios; v2 signs the delivery id too, so repeats are not taken for replays.
    timestamp, delivery_id = str(int(time.time())), str(uuid.uuid4())
    return await client.post(
        f"{url}/api/webhooks/alerts",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-API-Key": api_key,
            "X-Timestamp": timestamp,
            "X-Signature": sign_with_delivery_id(hmac_secret, timestamp, delivery_id, body),
            "X-Delivery-ID": delivery_id,
        },
    )


async def run_demo(
    url: str,
    api_key: str,
    hmac_secret: str,
    *,
    rate: float,
    count: int,
    seed: int,
    login: AdminLogin | None = None,
    company_id: str | None = None,
    wait_s: float = 60.0,
) -> DemoSummary:
    """Sends the stream, then (signed in as `login`) waits up to `wait_s` for its incidents to settle and
    shows what became of them."""
    rng = random.Random(seed)
    summary = DemoSummary()
    console = Console()
    url = url.rstrip("/")
    started_at = datetime.now(UTC)
    async with httpx.AsyncClient(timeout=30) as client:
        await _send_stream(client, console, summary, url, api_key, hmac_secret, rate, count, rng)
        _print_summary(console, summary, count)
        if login is None:
            console.print("No admin credentials: skipping the incident lifecycle (see --admin-email).")
            return summary
        token = await sign_in(client, url, login)
        if company_id is None and summary.incidents:
            company_id = await company_of(client, url, token, next(iter(summary.incidents)))
        if company_id is None:
            return summary

        def of_this_stream(incident: dict[str, Any]) -> bool:
            created = datetime.fromisoformat(incident["created_at"])
            return incident["id"] in summary.incidents or created >= started_at

        summary.lifecycle = await await_settled(
            client, url, token, company_id, of_this_stream, wait_s=wait_s, console=console
        )
        summary.lifecycle.figures = await runbook_figures(client, url, token, company_id, started_at)
        print_lifecycle(console, summary.lifecycle)
    return summary


async def _send_stream(
    client: httpx.AsyncClient,
    console: Console,
    summary: DemoSummary,
    url: str,
    api_key: str,
    hmac_secret: str,
    rate: float,
    count: int,
    rng: random.Random,
) -> None:
    with Progress(
        TextColumn("[bold]Sending alerts"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("send", total=count)

        async def one(alert: dict[str, object]) -> None:
            started = time.perf_counter()
            try:
                response = await send_alert(client, url, api_key, hmac_secret, alert)
            except httpx.HTTPError as err:
                summary.errors.append(f"{type(err).__name__}: {err}")
            else:
                summary.latencies_ms.append((time.perf_counter() - started) * 1000)
                summary.statuses[response.status_code] += 1
                if response.status_code in (200, 202):
                    answer = response.json()
                    summary.duplicates += answer.get("duplicate", False)
                    summary.queued += answer.get("queued", False)
                    if answer.get("incident_id"):
                        summary.incidents.add(answer["incident_id"])
                else:
                    summary.errors.append(f"{response.status_code}: {response.text[:200]}")
            progress.advance(task)

        pending = []
        start = time.perf_counter()
        for i, alert in enumerate(demo_stream(rng, count)):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(asyncio.create_task(one(alert)))
        await asyncio.gather(*pending)


def _print_summary(console: Console, summary: DemoSummary, count: int) -> None:
    table = Table(title="Demo summary")
    table.add_column("measure")
    table.add_column("value", justify="right")
    accepted = summary.statuses[200] + summary.statuses[202]
    table.add_row("alerts sent", str(count))
    table.add_row("accepted (200/202)", str(accepted))
    table.add_row("queued (202)", str(summary.queued))
    table.add_row("incidents touched", str(len(summary.incidents)))
    if accepted:
        table.add_row("noise reduction", f"{100 * (1 - len(summary.incidents) / accepted):.1f} %")
    if summary.latencies_ms:
        table.add_row("latency p50", f"{statistics.median(summary.latencies_ms):.1f} ms")
        table.add_row("latency max", f"{max(summary.latencies_ms):.1f} ms")
    table.add_row("errors", str(len(summary.errors)))
    console.print(table)
    for error in summary.errors[:5]:
        console.print(f"[red]{error}")
