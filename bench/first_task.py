"""How soon a new incident's workflow starts working when API and worker are separate processes.

    .venv/bin/python bench/first_task.py                          # 600 new-key alerts at 20/s
    .venv/bin/python bench/first_task.py --alerts 200 --rate 20   # what CI runs (about 35 s in all)
    AW_WORKER_WORKFLOW_TASK_POLLERS=5 AW_WORKER_NONSTICKY_POLL_RATIO=0.2 .venv/bin/python bench/first_task.py
                                                                  # the SDK's defaults, as before tuning

It starts a Temporal dev server (file-backed with the WAL pragmas, as `alert-whisperer dev` does), a
throwaway PostgreSQL database (or --sqlite), and then `alert-whisperer api` and `alert-whisperer worker`
as two processes, as production runs them: the API cannot start workflows eagerly there, so each new
incident's first workflow task waits for one of the worker's pollers. It sends signed alerts, each for a
new key, open loop at `--rate`, and measures from the webhook's 200 answer (with its `incident_id`) to
the WorkflowTaskStarted event of that incident's first workflow task, from the workflow's history.
Also shown: the server-side wait of that task (scheduled → started). AW_WORKER_* settings in the
environment reach the worker. Exit status 1 when an alert was refused or an incident never started.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from dataclasses import dataclass, field

import aiohttp
from process_stack import (
    Backing,
    Tenant,
    add_stack_args,
    api_and_worker,
    backing_services,
    create_company,
    process_env,
    run_cli,
)
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from traffic import paced, signed_headers

TARGET_P99_S = 1.0
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=600, help="alerts sent, each opening a new incident")
    parser.add_argument("--rate", type=float, default=20.0, help="alerts per second (open loop)")
    parser.add_argument("--warmup", type=int, default=20, help="alerts sent and awaited before measuring")
    add_stack_args(parser)
    return parser.parse_args(argv)


@dataclass
class Answered:
    incident_id: str
    at: float  # wall clock, seconds since the epoch, when the 200 arrived


@dataclass
class Sent:
    answered: list[Answered] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # no HTTP answer
    unanswered: list[str] = field(default_factory=list)  # an answer without an incident_id (202, 4xx, 5xx)
    seconds: float = 0.0


async def send_new_keys(url: str, tenant: Tenant, count: int, rate: float) -> Sent:
    """Open loop: alert i leaves at start + i / rate, whether or not earlier ones were answered."""
    sent = Sent()
    run = uuid.uuid4().hex[:8]
    connector = aiohttp.TCPConnector(limit=200, keepalive_timeout=4)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:

        async def one(i: int) -> None:
            body = json.dumps(
                {
                    "asset_name": f"bench-{run}-{i}",
                    "signature": "disk_space_critical",
                    "severity": "high",
                    "message": "first alert of a new incident",
                    "tool_source": "bench",
                }
            ).encode()
            headers = signed_headers(tenant, body)
            try:
                async with http.post(f"{url}/api/webhooks/alerts", data=body, headers=headers) as answer:
                    payload = await answer.read()
                    at = time.time()
                    sent.statuses[answer.status] = sent.statuses.get(answer.status, 0) + 1
            except (aiohttp.ClientError, TimeoutError) as err:
                sent.errors.append(f"{type(err).__name__}: {err}")
                return
            incident_id = json.loads(payload).get("incident_id") if answer.status == 200 else None
            if incident_id:
                sent.answered.append(Answered(incident_id, at))
            else:
                sent.unanswered.append(f"{answer.status}: {payload[:160]!r}")

        sent.seconds = await paced(count, rate, one)
    return sent


async def first_task(client: Client, incident_id: str, deadline: float) -> tuple[float, float] | None:
    """(scheduled, started) epoch seconds of the workflow's first workflow task; None if it never started."""
    while True:
        scheduled = None
        async for event in client.get_workflow_handle(incident_id).fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED and scheduled is None:
                scheduled = event.event_time.ToDatetime().timestamp()
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                assert scheduled is not None
                return scheduled, event.event_time.ToDatetime().timestamp()
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(0.5)


async def first_tasks(client: Client, answered: list[Answered]) -> list[tuple[float, float] | None]:
    deadline = time.monotonic() + 120
    limit = asyncio.Semaphore(20)

    async def one(a: Answered) -> tuple[float, float] | None:
        async with limit:
            return await first_task(client, a.incident_id, deadline)

    return await asyncio.gather(*(one(a) for a in answered))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def worker_settings(env: dict[str, str]) -> str:
    chosen = {k: v for k, v in env.items() if k.startswith("AW_WORKER_")}
    return ", ".join(f"{k}={v}" for k, v in sorted(chosen.items())) or "defaults"


async def main(args: argparse.Namespace) -> int:
    async with backing_services(args, "aw-first-task-") as backing:
        return await measure(args, backing)


async def measure(args: argparse.Namespace, backing: Backing) -> int:
    env = process_env(backing)
    await asyncio.to_thread(run_cli, env, "migrate")
    tenant = await create_company(env, "Bench")
    async with api_and_worker(env, backing.workdir) as running:
        client = await Client.connect(backing.temporal_address)
        warm = await send_new_keys(running.url, tenant, args.warmup, rate=args.rate)
        if None in await first_tasks(client, warm.answered):
            print(f"warm-up incidents never started; worker log:\n{running.worker_log.read_text()[-3000:]}")
            return 1
        sent = await send_new_keys(running.url, tenant, args.alerts, rate=args.rate)
        tasks = await first_tasks(client, sent.answered)
    return report(args, env, sent, tasks)


def report(
    args: argparse.Namespace, env: dict[str, str], sent: Sent, tasks: list[tuple[float, float] | None]
) -> int:
    after_answer = [t[1] - a.at for a, t in zip(sent.answered, tasks, strict=True) if t is not None]
    waited = [t[1] - t[0] for t in tasks if t is not None]
    never = sum(1 for t in tasks if t is None)
    print(f"worker settings        {worker_settings(env)}")
    print(
        f"alerts sent            {args.alerts} new keys at {args.rate:g}/s "
        f"(last answer after {sent.seconds:.1f} s)"
    )
    print(f"answers                {dict(sorted(sent.statuses.items()))}, no answer {len(sent.errors)}")
    if after_answer:
        p50, p99 = percentile(after_answer, 50), percentile(after_answer, 99)
        print(
            f"200 -> first task      p50 {p50 * 1000:.0f} ms, "
            f"p90 {percentile(after_answer, 90) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"max {max(after_answer) * 1000:.0f} ms"
        )
        print(
            f"task scheduled->started p50 {percentile(waited, 50) * 1000:.0f} ms, "
            f"p99 {percentile(waited, 99) * 1000:.0f} ms (server side)"
        )
        verdict = "PASS" if p99 < TARGET_P99_S else "FAIL"
        print(f"target p99 < {TARGET_P99_S:g} s   {verdict}")
    if never:
        print(f"incidents whose first task never started within 120 s: {never}")
    for sample in sent.errors[:3] + sent.unanswered[:3]:
        print(f"sample: {sample}")
    refused = sent.errors or any(status >= 300 for status in sent.statuses)
    return 1 if never or refused else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
