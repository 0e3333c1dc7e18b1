"""WebSocket /ws: webhook -> event latency, and many clients on one API process while alerts flow.

    .venv/bin/python bench/ws.py                                   # 1,000 clients (the issue's size)
    .venv/bin/python bench/ws.py --clients 50 --alerts 20 --latency-alerts 20   # what `make test` runs
    AW_WS_PER_MESSAGE_DEFLATE=true .venv/bin/python bench/ws.py    # the API with permessage-deflate on

It starts a Temporal dev server, a throwaway PostgreSQL database (or --sqlite), `alert-whisperer worker`
and ONE `alert-whisperer api` process, two companies and four signed-in users (an msp_admin, a
technician of each company, a company admin of the second), then:

1. latency: one socket (the first company's technician); signed alerts for new keys at
   `--latency-rate`; from just before each POST to the arrival of its incident's `incident.created` and
   `alert.correlated`;
2. load: `--clients` sockets on the same API process, round-robin over the four tokens; the API's RSS
   (/proc/<pid>/status) before and after they connect, divided by the clients, and its open sockets;
   then alerts to both companies at `--rate`: delivery latency (POST -> arrival) over every client and
   event, the spread of one event's arrival across clients, every client checked against the outbox
   (each gets every event of its companies after its `ready`, nothing else), and CPU per process.

Clients offer permessage-deflate as browsers do; the API takes it only with AW_WS_PER_MESSAGE_DEFLATE=true.
AW_WS_* and AW_WORKER_* settings in the environment reach the API and worker. Exit status 1 when a client
missed an event, got a foreign one, or was told to resume; targets (p99 < 1 s) print PASS/FAIL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import secrets
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from cpu import CpuMeter
from first_task import percentile
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
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from ws_clients import (
    Listener,
    Posted,
    Seen,
    foreign,
    incidents_of,
    missing,
    open_listeners,
    outbox_rows,
    send_alerts,
    sign_in,
)

TARGET_P99_S = 1.0
TRACKED = ("incident.created", "alert.correlated")
PASSWORD = "bench-" + secrets.token_hex(8)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1000, help="sockets in the load phase")
    parser.add_argument("--alerts", type=int, default=60, help="alerts in the load phase (new keys)")
    parser.add_argument("--rate", type=float, default=2.0, help="alerts/s in the load phase")
    parser.add_argument("--latency-alerts", type=int, default=100)
    parser.add_argument("--latency-rate", type=float, default=5.0, help="alerts/s in the latency phase")
    parser.add_argument("--connect-concurrency", type=int, default=50, help="handshakes at a time")
    parser.add_argument("--settle", type=float, default=60.0, help="seconds to wait for late deliveries")
    add_stack_args(parser)
    return parser.parse_args(argv)


def raise_open_file_limit(needed: int) -> int:
    """Each client holds a socket here and one in the API (which inherits this limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def open_sockets(pid: int) -> int:
    fds = Path(f"/proc/{pid}/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except OSError:
            continue
    return count


def latencies(listeners: Iterable[Listener], catalog: dict[int, Seen], posted: list[Posted]) -> list[float]:
    """POST -> arrival of the tracked events of the incidents the POSTs opened, every listener. A 202
    answer names only the alert: its incident is the one whose alert.correlated lists it."""
    incident_of = {a: e.incident_id for e in catalog.values() for a in e.alert_ids}
    sent_at = {}
    for p in posted:
        incident = p.incident_id or incident_of.get(p.alert_id or "")
        if incident:
            sent_at[incident] = p.before_post
    found = []
    for listener in listeners:
        for event_id, at in listener.received.items():
            event = catalog[event_id]
            if event.type in TRACKED and event.incident_id in sent_at:
                found.append(at - sent_at[event.incident_id])
    return found


def spreads(listeners: list[Listener]) -> list[float]:
    """For each event: arrival at each client minus its first arrival anywhere (the fan-out's share)."""
    first: dict[int, float] = {}
    for listener in listeners:
        for event_id, at in listener.received.items():
            first[event_id] = min(at, first.get(event_id, at))
    return [at - first[e] for listener in listeners for e, at in listener.received.items()]


def figures(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:34} none"
    return (
        f"{name:34} p50 {percentile(values, 50) * 1000:.0f} ms, p99 {percentile(values, 99) * 1000:.0f} ms, "
        f"max {max(values) * 1000:.0f} ms (n={len(values)})"
    )


def verdict(values: list[float]) -> str:
    return "PASS" if values and percentile(values, 99) < TARGET_P99_S else "FAIL"


def answers(posted: list[Posted]) -> dict[int, int]:
    counted: dict[int, int] = {}
    for p in posted:
        counted[p.status] = counted.get(p.status, 0) + 1
    return dict(sorted(counted.items()))


async def delivered(
    engine: AsyncEngine, listeners: list[Listener], posted: list[Posted], after: int, settle: float
) -> tuple[int, int]:
    """Waits until every listener has every event it should, up to the outbox's last id once every
    posted incident's tracked events are in it; returns (that id, pairs still missing)."""
    deadline = time.monotonic() + settle
    while True:
        opened = await incidents_of(engine, posted)
        outbox = await outbox_rows(engine, after)
        written = {(e.incident_id, e.type) for e in outbox.values()}
        if all((i, t) in written for i in opened for t in TRACKED) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    through = max(outbox, default=after)
    while True:
        lacking = missing(listeners, outbox, through)
        if not lacking or time.monotonic() > deadline:
            return through, lacking
        await asyncio.sleep(1)


async def latency_phase(
    args: argparse.Namespace, url: str, engine: AsyncEngine, tenant: Tenant, token: str
) -> int:
    catalog: dict[int, Seen] = {}
    listeners, failed = await open_listeners(
        url.replace("http://", "ws://") + "/ws",
        [(token, frozenset({tenant.id}))],
        1,
        catalog,
        concurrency=1,
        progress=lambda _: None,
    )
    if failed:
        print(f"latency socket failed: {failed[0]}")
        return 1
    print(
        f"[latency] {args.latency_alerts} alerts, new keys, at {args.latency_rate:g}/s, one socket",
        flush=True,
    )
    posted = await send_alerts(url, [tenant], args.latency_alerts, args.latency_rate)
    _, lacking = await delivered(engine, listeners, posted, listeners[0].ready_after, args.settle)
    await listeners[0].close()
    found = latencies(listeners, catalog, posted)
    print(f"answers                            {answers(posted)}")
    print(figures("webhook -> incident.created/correlated", found))
    print(f"target p99 < {TARGET_P99_S:g} s                  {verdict(found)}")
    print(f"events missing                     {lacking}")
    return 1 if lacking else 0


async def load_phase(
    args: argparse.Namespace,
    url: str,
    engine: AsyncEngine,
    tenants: list[Tenant],
    tokens: list[tuple[str, frozenset[str] | None]],
    pids: dict[str, int],
) -> int:
    api = pids["api"]
    catalog: dict[int, Seen] = {}
    rss_before, sockets_before = rss_kib(api), open_sockets(api)
    started = time.monotonic()

    def progress(done: int) -> None:
        if done % 100 == 0 or done == args.clients:
            print(f"  [{time.monotonic() - started:5.1f} s] connected {done}/{args.clients}", flush=True)

    print(f"[load] connecting {args.clients} clients ({len(tokens)} tokens)", flush=True)
    listeners, failed = await open_listeners(
        url.replace("http://", "ws://") + "/ws",
        tokens,
        args.clients,
        catalog,
        concurrency=args.connect_concurrency,
        progress=progress,
    )
    connect_s = time.monotonic() - started
    await asyncio.sleep(2)  # let the API settle before reading its memory
    rss_after, sockets_after = rss_kib(api), open_sockets(api)
    print(f"[load] {args.alerts} alerts to {len(tenants)} companies at {args.rate:g}/s", flush=True)
    meter = CpuMeter(pids | {"bench (clients)": os.getpid()})
    meter.start()
    metered_from = time.monotonic()
    posted = await send_alerts(url, tenants, args.alerts, args.rate)
    after = min((listener.ready_after for listener in listeners), default=0)
    through, lacking = await delivered(engine, listeners, posted, after, args.settle)
    cores = meter.stop()
    metered_s = time.monotonic() - metered_from
    held = sum(listener.is_open for listener in listeners)
    resumed = sum(listener.told_to_resume for listener in listeners)
    strays = foreign(listeners, catalog)
    found = latencies(listeners, catalog, posted)
    events = {e for listener in listeners for e in listener.received}
    per_client = [len(listener.received) for listener in listeners]
    print(
        f"clients connected                  {len(listeners)} of {args.clients} in {connect_s:.1f} s, "
        f"failed {len(failed)}{' (' + failed[0] + ')' if failed else ''}"
    )
    print(f"connections held at the end        {held}")
    print(f"API sockets before / after connect {sockets_before} / {sockets_after}")
    grown = rss_after - rss_before
    print(
        f"API RSS before / after connect     {rss_before / 1024:.1f} / {rss_after / 1024:.1f} MiB: "
        f"{grown / max(1, len(listeners)):.1f} KiB per connection"
    )
    print(f"answers                            {answers(posted)}")
    print(
        f"events delivered                   {len(events)} distinct, {sum(per_client)} deliveries, "
        f"{min(per_client, default=0)}-{max(per_client, default=0)} per client (outbox through id {through})"
    )
    print(figures("webhook -> created/correlated", found))
    print(figures("arrival after the first client", spreads(listeners)))
    print(f"target p99 < {TARGET_P99_S:g} s                  {verdict(found)}")
    print(f"missing (client, event) pairs      {lacking}")
    print(f"foreign events (other tenant)      {strays}")
    print(f"told to resume (too far behind)    {resumed}")
    print(
        f"cores used over {metered_s:.0f} s (alerts, deliveries) "
        + ", ".join(f"{k} {v:.2f}" for k, v in cores.items())
    )
    if per_client and "api" in cores:
        print(f"API CPU per delivery               {cores['api'] * metered_s / sum(per_client) * 1e6:.0f} µs")
    await asyncio.gather(*(listener.close() for listener in listeners))
    return 1 if lacking or strays or resumed or failed else 0


async def stack_setup(env: dict[str, str]) -> tuple[list[Tenant], dict[str, tuple[str, list[str] | None]]]:
    """Two companies and four users: email -> (role, companies; None for every company)."""
    tenants = list(await asyncio.gather(*(create_company(env, f"WS {n}") for n in ("A", "B"))))
    a, b = tenants[0].id, tenants[1].id
    users: dict[str, tuple[str, list[str] | None]] = {
        "msp@bench.test": ("msp_admin", None),
        "tech-a@bench.test": ("technician", [a]),
        "tech-b@bench.test": ("technician", [b]),
        "admin-b@bench.test": ("company_admin", [b]),
    }

    def create(email: str, role: str, companies: list[str] | None) -> str:
        flags = [f"--company={c}" for c in companies or []]
        return run_cli(
            env, "user", "create", f"--email={email}", f"--password={PASSWORD}", f"--role={role}", *flags
        )

    await asyncio.gather(*(asyncio.to_thread(create, e, r, c) for e, (r, c) in users.items()))
    return tenants, users


async def measure(args: argparse.Namespace, backing: Backing) -> int:
    # AW_WORKER_* and AW_WS_* in the environment reach the processes (AW_WS_PER_MESSAGE_DEFLATE=true).
    env = process_env(backing, passed=("AW_WORKER_", "AW_WS_"))
    print(
        "API WebSocket settings: "
        + (", ".join(f"{k}={v}" for k, v in env.items() if k.startswith("AW_WS_")) or "defaults")
    )
    await asyncio.to_thread(run_cli, env, "migrate")
    tenants, users = await stack_setup(env)
    engine = create_async_engine(backing.database_url)
    try:
        async with api_and_worker(env, backing.workdir) as running:
            url = running.url
            tokens = [
                (await sign_in(url, email, PASSWORD), None if companies is None else frozenset(companies))
                for email, (_, companies) in users.items()
            ]
            status = await latency_phase(args, url, engine, tenants[0], tokens[1][0])
            pids = {"api": running.api_pid, "worker": running.worker_pid}
            if backing.temporal_pid is not None:
                pids["temporal"] = backing.temporal_pid
            status |= await load_phase(args, url, engine, tenants, tokens, pids)
            return status
    finally:
        await engine.dispose()


async def main(args: argparse.Namespace) -> int:
    limit = raise_open_file_limit(2 * args.clients + 1024)
    print(
        f"open-file limit {limit}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
        "(a shared machine: other work moves these figures)",
        flush=True,
    )
    async with backing_services(args, "aw-ws-bench-") as backing:
        return await measure(args, backing)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
