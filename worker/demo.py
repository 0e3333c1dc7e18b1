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

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.ingest.signature import sign_with_delivery_id

SCENARIOS = [
    ("db-prod-01", "memory_high", "high", "Memory usage above 90%", "datadog", "Database"),
    ("db-prod-01", "slow_queries", "medium", "p95 query latency above 2 s", "datadog", "Database"),
    ("web-01", "disk_space_critical", "critical", "Disk /var at 97%", "zabbix", "Server"),
    ("web-02", "http_5xx_rate", "high", "5xx rate above 5% for 5 minutes", "prometheus", "Application"),
    ("fw-edge-01", "vpn_tunnel_down", "critical", "IPsec tunnel to branch office down", "zabbix", "Network"),
    ("api-gw", "latency_p99", "medium", "p99 latency above 800 ms", "cloudwatch", "Application"),
    ("k8s-node-3", "node_not_ready", "high", "Kubelet stopped posting status", "prometheus", "Server"),
    ("mail-01", "queue_backlog", "low", "Outbound mail queue above 500", "generic", "Server"),
]


@dataclass
class DemoSummary:
    statuses: Counter[int] = field(default_factory=Counter)
    incidents: set[str] = field(default_factory=set)
    duplicates: int = 0
    queued: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)


def demo_alert(rng: random.Random) -> dict[str, object]:
    asset, signature, severity, message, tool, category = rng.choice(SCENARIOS)
    if rng.random() < 0.15:
        severity = rng.choice(["low", "medium", "high", "critical"])
    return {
        "asset_name": asset,
        "signature": signature,
        "severity": severity,
        "message": message,
        "tool_source": tool,
        "category": category,
    }


async def send_alert(
    client: httpx.AsyncClient, url: str, api_key: str, hmac_secret: str, alert: dict[str, object]
) -> httpx.Response:
    body = json.dumps(alert).encode()
    # The demo repeats scenarios; v2 signs the delivery id too, so repeats are not taken for replays.
    timestamp, delivery_id = str(int(time.time())), str(uuid.uuid4())
    return await client.post(
        f"{url.rstrip('/')}/api/webhooks/alerts",
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
    url: str, api_key: str, hmac_secret: str, *, rate: float, count: int, seed: int
) -> DemoSummary:
    rng = random.Random(seed)
    summary = DemoSummary()
    console = Console()
    async with httpx.AsyncClient(timeout=30) as client:
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
            for i in range(count):
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                pending.append(asyncio.create_task(one(demo_alert(rng))))
            await asyncio.gather(*pending)
    _print_summary(console, summary, count)
    return summary


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
