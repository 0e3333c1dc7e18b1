"""The naive design to beat: one update-with-start per alert, straight to a per-key workflow."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from baseline_workflow import BaselineWorkflow
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

# Temporal admits ten in-flight updates per workflow; a key that gets more is retried, as a sender would.
RETRYABLE = {
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.ABORTED,
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
}
MAX_ATTEMPTS = 20
WORKFLOW_LIFETIME_S = 120.0


@dataclass
class BaselineStats:
    completed: int = 0
    retries: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0

    @property
    def rate(self) -> float:
        return self.completed / (self.finished - self.started) if self.finished > self.started else 0.0


def _retryable(err: Exception) -> bool:
    if isinstance(err, WorkflowUpdateRPCTimeoutOrCancelledError):
        return True
    if isinstance(err, RPCError):
        return err.status in RETRYABLE or "aborted" in str(err).lower()
    return False


async def _add_alert(client: Client, task_queue: str, workflow_id: str, stats: BaselineStats) -> None:
    alert_id = uuid.uuid4().hex
    started = time.perf_counter()
    for attempt in range(MAX_ATTEMPTS):
        # An operation is single-use, so each attempt builds its own.
        start = WithStartWorkflowOperation(
            BaselineWorkflow.run,
            WORKFLOW_LIFETIME_S,
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        try:
            await client.execute_update_with_start_workflow(
                BaselineWorkflow.add_alert, alert_id, start_workflow_operation=start, id=alert_id
            )
        except Exception as err:
            if not _retryable(err) or attempt == MAX_ATTEMPTS - 1:
                stats.errors[type(err).__name__] += 1
                return
            stats.retries += 1
            await asyncio.sleep(min(0.05 * 2**attempt, 1.0))
            continue
        stats.completed += 1
        stats.latencies_ms.append((time.perf_counter() - started) * 1000)
        return


# One call per item: (client, task queue, item, stats); workflow ids start with the task queue's name.
Call = Callable[[Client, str, int, BaselineStats], Awaitable[None]]


async def _drive(
    temporal_address: str,
    name: str,
    items: list[int],
    concurrency: int,
    call: Call,
    advance: Callable[[], None],
) -> BaselineStats:
    """Runs `call` for every item from `concurrency` callers; worker and client share this process."""
    client = await Client.connect(temporal_address)
    task_queue = f"bench-{name}-{uuid.uuid4().hex[:8]}"
    stats = BaselineStats()
    queue = iter(items)

    async def caller() -> None:
        for item in queue:
            await call(client, task_queue, item, stats)
            advance()

    async with Worker(
        client, task_queue=task_queue, workflows=[BaselineWorkflow], max_concurrent_workflow_tasks=200
    ):
        stats.started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(concurrency)))
        stats.finished = time.perf_counter()
    return stats


async def run_baseline(
    temporal_address: str, keys: list[int], concurrency: int, advance: Callable[[], None]
) -> BaselineStats:
    """Same key mix and concurrency as the webhook run: one update-with-start per alert."""

    async def add(client: Client, task_queue: str, key: int, stats: BaselineStats) -> None:
        await _add_alert(client, task_queue, f"{task_queue}-{key}", stats)

    return await _drive(temporal_address, "baseline", keys, concurrency, add, advance)


async def run_start_ceiling(
    temporal_address: str, count: int, concurrency: int, advance: Callable[[], None]
) -> BaselineStats:
    """Bare eager starts of new workflows, nothing else: how many incidents per second this Temporal
    server can open at all. Every design with one workflow per incident is bounded by it."""

    async def start(client: Client, task_queue: str, n: int, stats: BaselineStats) -> None:
        began = time.perf_counter()
        try:
            await client.start_workflow(
                BaselineWorkflow.run,
                WORKFLOW_LIFETIME_S,
                id=f"{task_queue}-{n}",
                task_queue=task_queue,
                request_eager_start=True,
            )
        except Exception as err:
            stats.errors[type(err).__name__] += 1
        else:
            stats.completed += 1
            stats.latencies_ms.append((time.perf_counter() - began) * 1000)

    return await _drive(temporal_address, "starts", list(range(count)), concurrency, start, advance)
