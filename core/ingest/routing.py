"""Hands accepted alerts to their incident workflows, coalescing concurrent alerts per aggregation key.

Temporal admits only ten in-flight updates per workflow and each call costs a server round trip, so
alerts for one key queue in a lane and travel together: one start or one update per batch, however
many alerts a storm brings. Incident workflow ids are deterministic per (company, key, generation):
concurrent first alerts name the same workflow, and when an incident stops taking alerts (closed, or
its correlation window passed) the next generation opens the next incident.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cachetools import TTLCache
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from core.companies.context import CompanyContext
from core.errors import RoutingFailed
from workflows.incident.correlation import incident_workflow_id
from workflows.incident.requests import INCIDENT_CLOSED_ERROR
from workflows.incident.visibility import search_attributes, summary
from workflows.incident.workflow import IncidentWorkflow
from workflows.types import (
    AddAlerts,
    AlertRef,
    AlertStatus,
    CorrelationPolicy,
    IncidentInput,
    IncidentStart,
    IncidentState,
)

log = logging.getLogger(__name__)

MAX_BATCH = 250
MAX_GENERATION_HOPS = 1000
TRANSIENT = {
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.ABORTED,
    RPCStatusCode.CANCELLED,
}
NO_OPEN_INCIDENT = "no_open_incident"


@dataclass(frozen=True)
class RoutedAlert:
    incident_id: str | None
    correlated: bool
    disposition: str | None = None


HeadLookup = Callable[[str, str], Awaitable[int | None]]
Pending = tuple[AlertRef, "asyncio.Future[RoutedAlert]"]


@dataclass(frozen=True)
class _OpenIncident:
    generation: int
    latest_sent: datetime

    def takes(self, alerts: list[AlertRef], policy: CorrelationPolicy) -> bool:
        window = timedelta(minutes=policy.window_minutes)
        return all(
            a.received_at - self.latest_sent <= window for a in alerts if a.status == AlertStatus.firing
        )


@dataclass
class _Lane:
    company: CompanyContext
    key: str
    queue: list[Pending] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


class AlertRouter:
    def __init__(
        self,
        client: Client,
        task_queue: str,
        head_lookup: HeadLookup,
        *,
        eager_start: bool = False,
        give_up_after_s: float = 60.0,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._client = client
        self._task_queue = task_queue
        self._head_lookup = head_lookup
        self._eager_start = eager_start
        self._give_up_after_s = give_up_after_s
        self._max_batch = max_batch
        self._lanes: dict[tuple[str, str], _Lane] = {}
        # Per key, the generation this process last handed alerts to, and the latest receive time it
        # handed over. The incident's own latest alert is at least as recent, so a batch within the
        # window of it is one the incident will take: it goes as a signal, the cheapest Temporal call.
        self._open: TTLCache[tuple[str, str], _OpenIncident] = TTLCache(maxsize=200_000, ttl=120)

    def route(self, company: CompanyContext, key: str, alert: AlertRef) -> asyncio.Future[RoutedAlert]:
        lane_key = (company.id, key)
        lane = self._lanes.get(lane_key)
        if lane is None:
            lane = self._lanes[lane_key] = _Lane(company=company, key=key)
        future: asyncio.Future[RoutedAlert] = asyncio.get_running_loop().create_future()
        lane.queue.append((alert, future))
        if lane.task is None:
            lane.task = asyncio.create_task(self._drain(lane_key, lane))
        return future

    async def route_batch(
        self, company: CompanyContext, key: str, alerts: list[AlertRef]
    ) -> list[RoutedAlert]:
        return list(await asyncio.gather(*(self.route(company, key, a) for a in alerts)))

    async def deliver_authoritatively(
        self, company: CompanyContext, key: str, alerts: list[AlertRef]
    ) -> list[RoutedAlert]:
        """For alerts an incident refused: no signal fast path, the incident's answer decides."""
        return await self._deliver_authoritatively(_Lane(company=company, key=key), alerts)

    async def close(self, grace_s: float = 5.0) -> None:
        """Stops routing; alerts still on their way stay stored and are redelivered by the schedule."""
        tasks = [lane.task for lane in self._lanes.values() if lane.task]
        for task in tasks:
            task.cancel()
        if tasks:
            # A Temporal call blocked on an absent worker may not notice cancellation promptly.
            await asyncio.wait(tasks, timeout=grace_s)

    async def _drain(self, lane_key: tuple[str, str], lane: _Lane) -> None:
        try:
            while lane.queue:
                batch, lane.queue = lane.queue[: self._max_batch], lane.queue[self._max_batch :]
                alerts = [alert for alert, _ in batch]
                try:
                    results = await self._deliver(lane, alerts)
                except asyncio.CancelledError:
                    for _, future in batch:
                        future.cancel()
                    raise
                except Exception as err:
                    log.warning("routing %d alert(s) for key %.120r failed: %s", len(batch), lane.key, err)
                    failed = err if isinstance(err, RoutingFailed) else RoutingFailed(str(err))
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(failed)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            lane.task = None
            if not lane.queue:
                self._lanes.pop(lane_key, None)

    async def _deliver(self, lane: _Lane, alerts: list[AlertRef]) -> list[RoutedAlert]:
        company, key = lane.company, lane.key
        cache_key = (company.id, key)
        known = self._open.get(cache_key)
        if known is not None and known.takes(alerts, company.policy):
            workflow_id = incident_workflow_id(company.id, key, known.generation)
            if await self._signal(workflow_id, alerts):
                self._remember(cache_key, known.generation, alerts)
                return [RoutedAlert(workflow_id, correlated=True) for _ in alerts]
            self._open.pop(cache_key, None)  # closed since: ask authoritatively below
        return await self._deliver_authoritatively(lane, alerts)

    def _remember(self, cache_key: tuple[str, str], generation: int, alerts: list[AlertRef]) -> None:
        latest = max(a.received_at for a in alerts)
        known = self._open.get(cache_key)
        if known is not None and known.generation == generation and known.latest_sent > latest:
            latest = known.latest_sent
        self._open[cache_key] = _OpenIncident(generation, latest)

    async def _deliver_authoritatively(self, lane: _Lane, alerts: list[AlertRef]) -> list[RoutedAlert]:
        """Start the incident, or send an update whose answer says whether the incident took them."""
        company, key = lane.company, lane.key
        cache_key = (company.id, key)
        opens_incidents = any(a.status == AlertStatus.firing for a in alerts)
        known = self._open.get(cache_key)
        running = known.generation if known else None
        generation = running or await self._head_lookup(company.id, key) or 1
        update_id = f"alerts-{uuid.uuid4().hex}"
        tried_start = False
        for _ in range(MAX_GENERATION_HOPS):
            workflow_id = incident_workflow_id(company.id, key, generation)
            if running != generation and opens_incidents and not tried_start:
                tried_start = True
                if await self._start(company, key, generation, workflow_id, alerts):
                    self._remember(cache_key, generation, alerts)
                    return [RoutedAlert(workflow_id, correlated=i > 0) for i in range(len(alerts))]
            outcome = await self._update(workflow_id, alerts, update_id)
            if outcome == "accepted":
                self._remember(cache_key, generation, alerts)
                return [RoutedAlert(workflow_id, correlated=True) for _ in alerts]
            if outcome == "missing" and not tried_start and opens_incidents:
                running = None  # our cache was stale: try to start this generation
                continue
            if not opens_incidents:
                return [RoutedAlert(None, correlated=False, disposition=NO_OPEN_INCIDENT) for _ in alerts]
            self._open.pop(cache_key, None)
            generation, running, tried_start = generation + 1, None, False
            update_id = f"alerts-{uuid.uuid4().hex}"
        raise RoutingFailed(f"no incident generation of key {key!r} took the alerts")

    async def _start(
        self, company: CompanyContext, key: str, generation: int, workflow_id: str, alerts: list[AlertRef]
    ) -> bool:
        first = alerts[0]
        start = IncidentStart(
            incident_id=workflow_id,
            company_id=company.id,
            company_name=company.name,
            aggregation_key=key,
            generation=generation,
            policy=company.policy,
            critical_asset=bool({first.asset_name, first.asset_id} & company.critical_assets),
            alerts=alerts,
        )
        preview = IncidentState(
            incident_id=workflow_id,
            company_id=company.id,
            aggregation_key=key,
            generation=generation,
            asset_name=first.asset_name,
            signature=first.signature,
            severity=first.severity,
        )
        try:
            await self._retrying(
                lambda: self._client.start_workflow(
                    IncidentWorkflow.run,
                    IncidentInput(start=start),
                    id=workflow_id,
                    task_queue=self._task_queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    search_attributes=search_attributes(preview),
                    static_summary=summary(
                        first.severity.value, first.signature, first.asset_name, company.name or company.id
                    ),
                    request_eager_start=self._eager_start,
                )
            )
        except WorkflowAlreadyStartedError:
            return False
        return True

    async def _signal(self, workflow_id: str, alerts: list[AlertRef]) -> bool:
        """False when the workflow is no longer running."""
        handle = self._client.get_workflow_handle(workflow_id)
        try:
            await self._retrying(
                lambda: handle.signal(IncidentWorkflow.alerts_arrived, AddAlerts(alerts=alerts))
            )
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    async def _update(self, workflow_id: str, alerts: list[AlertRef], update_id: str) -> str:
        """'accepted', 'closed' (the incident refused them) or 'missing' (no running workflow)."""
        handle = self._client.get_workflow_handle(workflow_id)
        try:
            await self._retrying(
                lambda: handle.execute_update(
                    IncidentWorkflow.add_alerts, AddAlerts(alerts=alerts), id=update_id
                )
            )
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == INCIDENT_CLOSED_ERROR:
                return "closed"
            raise
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return "missing"
            raise
        return "accepted"

    async def _retrying(self, call: Callable[[], Awaitable[object]]) -> None:
        delay = 0.05
        deadline = asyncio.get_running_loop().time() + self._give_up_after_s
        while True:
            try:
                await call()
                return
            except WorkflowUpdateRPCTimeoutOrCancelledError as err:
                # The SDK reports our own cancellation (router.close) this way too: that is no timeout.
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError from err
                last: Exception = err
            except RPCError as err:
                if err.status not in TRANSIENT and "aborted" not in str(err).lower():
                    raise
                last = err
            if asyncio.get_running_loop().time() + delay > deadline:
                raise RoutingFailed(
                    f"Temporal kept refusing the call ({last}); the alerts stay stored for redelivery",
                    transient=True,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
