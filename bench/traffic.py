"""Signed webhook traffic: the alert stream, and closed-loop and open-loop senders that time each request."""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from http_clients import CLIENTS, Poster, TransportError

from core.ingest.signature import sign_with_delivery_id

SIGNATURES = ["disk_space_critical", "memory_high", "http_5xx_rate", "latency_p99", "node_not_ready"]
SEVERITIES = ["low", "medium", "high", "critical"]
TOOLS = ["datadog", "zabbix", "prometheus", "cloudwatch"]

Advance = Callable[[], None]


class Credentials(Protocol):
    """A company's webhook credentials, as `alert-whisperer company create --json` prints them."""

    @property
    def api_key(self) -> str: ...

    @property
    def hmac_secret(self) -> str: ...


WEBHOOK_PATH = "/api/webhooks/alerts"


@dataclass(frozen=True)
class Tenant:
    url: str
    api_key: str
    hmac_secret: str
    client: str = "lean"  # which of http_clients.CLIENTS sends

    def poster(self, connections: int) -> Poster:
        return CLIENTS[self.client](self.url, connections)


@dataclass
class SendStats:
    """What the sender saw: status codes, latencies, transport errors, and the wall time it took."""

    statuses: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    transport_errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    queued: int = 0
    started: float = 0.0
    finished: float = 0.0
    # Open loop only: how far behind its schedule the sender fell, so a slow client is visible.
    lags_ms: list[float] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values()) + self.transport_errors

    @property
    def accepted(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def failed(self) -> int:
        return self.sent - self.accepted

    @property
    def seconds(self) -> float:
        return self.finished - self.started


def key_stream(count: int, new_fraction: float, rng: random.Random) -> list[int]:
    """Key index per alert: about `new_fraction` of alerts open a key, the rest repeat one opened earlier.

    New keys are spread evenly: at every step one is drawn with probability (new keys left / alerts
    left). Otherwise the alert repeats a random key among those opened that still owe repeats; picking
    by key rather than by owed repeat keeps a key's alerts apart instead of letting them bunch up.
    """
    keys = max(1, round(count * new_fraction))
    owed = _repeats_per_key(count - keys, keys, rng)
    stream: list[int] = []
    waiting: list[int] = []  # opened keys that still owe a repeat
    opened = 0
    for left in range(count, 0, -1):
        if opened < keys and (not waiting or rng.random() < (keys - opened) / left):
            stream.append(opened)
            if owed[opened]:
                waiting.append(opened)
            opened += 1
        else:
            stream.append(_take_repeat(waiting, owed, rng))
    return stream


def _take_repeat(waiting: list[int], owed: list[int], rng: random.Random) -> int:
    index = rng.randrange(len(waiting))
    key = waiting[index]
    owed[key] -= 1
    if not owed[key]:
        waiting[index] = waiting[-1]
        waiting.pop()
    return key


def repeat_distances(stream: list[int]) -> list[int]:
    """How many alerts after its key's first alert each repeat comes: how spread the repeats are."""
    first: dict[int, int] = {}
    distances = []
    for position, key in enumerate(stream):
        if key in first:
            distances.append(position - first[key])
        else:
            first[key] = position
    return distances


def _repeats_per_key(repeats: int, keys: int, rng: random.Random) -> list[int]:
    owed = [0] * keys
    for _ in range(repeats):
        owed[rng.randrange(keys)] += 1
    return owed


def alert_body(prefix: str, key: int) -> bytes:
    """All alerts of one key share asset and signature, so they correlate into one incident."""
    return json.dumps(
        {
            "asset_name": f"{prefix}-{key:06d}",
            "signature": SIGNATURES[key % len(SIGNATURES)],
            "severity": SEVERITIES[key % len(SEVERITIES)],
            "message": f"benchmark alert for key {key}",
            "tool_source": TOOLS[key % len(TOOLS)],
        }
    ).encode()


def signed_headers(tenant: Credentials, body: bytes) -> dict[str, str]:
    # Alerts of one key may be byte-identical within a second: v2 signs the delivery id too, so
    # each is its own signature (a sha256= one would be refused as a replay).
    timestamp, delivery_id = str(int(time.time())), uuid.uuid4().hex
    return {
        "Content-Type": "application/json",
        "X-API-Key": tenant.api_key,
        "X-Timestamp": timestamp,
        "X-Signature": sign_with_delivery_id(tenant.hmac_secret, timestamp, delivery_id, body),
        "X-Delivery-ID": delivery_id,
    }


async def post_alert(
    poster: Poster, tenant: Tenant, body: bytes, stats: SendStats, since: float | None = None
) -> None:
    """Sends one alert and records it; latency runs from `since` (the scheduled time) when given."""
    started = time.perf_counter() if since is None else since
    try:
        status, answer = await poster.post(WEBHOOK_PATH, body, signed_headers(tenant, body))
    except TransportError as err:
        stats.transport_errors += 1
        _sample(stats, str(err))
        return
    stats.latencies_ms.append((time.perf_counter() - started) * 1000)
    stats.statuses[status] += 1
    if status == 202:
        stats.queued += 1
    elif status >= 300:
        _sample(stats, f"HTTP {status}: {answer[:200].decode(errors='replace')}")


def _sample(stats: SendStats, error: str) -> None:
    if len(stats.error_samples) < 10:
        stats.error_samples.append(error)


async def closed_loop(tenant: Tenant, bodies: list[bytes], concurrency: int, advance: Advance) -> SendStats:
    """`concurrency` senders, each sending its next alert as soon as the previous one is answered."""
    stats = SendStats()
    queue = iter(bodies)

    async def sender(poster: Poster) -> None:
        for body in queue:
            await post_alert(poster, tenant, body, stats)
            advance()

    poster = tenant.poster(concurrency)
    try:
        stats.started = time.perf_counter()
        await asyncio.gather(*(sender(poster) for _ in range(concurrency)))
        stats.finished = time.perf_counter()
    finally:
        await poster.aclose()
    return stats


async def paced(count: int, rate: float, one: Callable[[int], Coroutine[Any, Any, None]]) -> float:
    """Open loop without bookkeeping: `one(i)` starts at start + i / rate whether or not earlier ones
    have finished; returns the seconds until the last one finished."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks = []
    for i in range(count):
        await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    return loop.time() - start


async def open_loop(
    tenant: Tenant, bodies: list[bytes], rate: float, connections: int, advance: Advance
) -> SendStats:
    """Sends at a fixed rate whatever the answers; latency counts from the scheduled send time."""
    stats = SendStats()
    pending: set[asyncio.Task[None]] = set()

    async def one(body: bytes, scheduled: float) -> None:
        await post_alert(poster, tenant, body, stats, since=scheduled)
        advance()

    poster = tenant.poster(connections)
    try:
        stats.started = time.perf_counter()
        for i, body in enumerate(bodies):
            scheduled = stats.started + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            stats.lags_ms.append(max(0.0, -delay) * 1000)
            task = asyncio.create_task(one(body, scheduled))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)
        stats.finished = time.perf_counter()
    finally:
        await poster.aclose()
    return stats


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]
