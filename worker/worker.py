"""The Temporal worker: incident workflows, their activities, and the redelivery schedule."""

from __future__ import annotations

import logging
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)
from temporalio.worker import (
    PollerBehavior,
    PollerBehaviorAutoscaling,
    PollerBehaviorSimpleMaximum,
    UnsandboxedWorkflowRunner,
    Worker,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.incident_store import IncidentStore
from activities.redelivery import Redelivery
from core.runtime import Services
from core.settings import Settings
from workflows.incident.workflow import IncidentWorkflow
from workflows.redelivery import REDELIVERY_SCHEDULE_ID, AlertRedeliveryWorkflow
from workflows.types import RedeliveryRequest

log = logging.getLogger(__name__)

WORKFLOWS = [IncidentWorkflow, AlertRedeliveryWorkflow]


def build_worker(client: Client, services: Services, *, task_queue: str | None = None) -> Worker:
    settings = services.settings
    store = IncidentStore(services.hot_sessions)
    redelivery = Redelivery(services.sessions, services.directory, services.dispatch)
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=WORKFLOWS,
        activities=[
            store.record_alerts,
            store.project_incident,
            store.count_series_recoveries,
            redelivery.redeliver_unrouted_alerts,
            redelivery.forward_alerts,
        ],
        workflow_runner=SandboxedWorkflowRunner()
        if settings.workflow_sandbox
        else UnsandboxedWorkflowRunner(),
        max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
        max_concurrent_local_activities=settings.worker_max_concurrent_local_activities,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        workflow_task_poller_behavior=_pollers(settings, settings.worker_workflow_task_pollers, minimum=2),
        nonsticky_to_sticky_poll_ratio=settings.worker_nonsticky_poll_ratio,
        activity_task_poller_behavior=_pollers(settings, settings.worker_activity_task_pollers, minimum=1),
    )


def _pollers(settings: Settings, maximum: int, *, minimum: int) -> PollerBehavior:
    if settings.worker_poller_behavior == "autoscaling":
        return PollerBehaviorAutoscaling(minimum=minimum, maximum=maximum, initial=min(5, maximum))
    return PollerBehaviorSimpleMaximum(maximum=maximum)


async def ensure_redelivery_schedule(
    client: Client, services: Services, *, task_queue: str | None = None
) -> None:
    settings = services.settings
    task_queue = task_queue or settings.task_queue
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            AlertRedeliveryWorkflow.run,
            RedeliveryRequest(
                older_than_s=settings.redelivery_after_s,
                delivery_id_retention_hours=settings.delivery_id_retention_hours,
            ),
            id=f"{REDELIVERY_SCHEDULE_ID}-{task_queue}-run",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=timedelta(seconds=settings.redelivery_interval_s))]
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    schedule_id = f"{REDELIVERY_SCHEDULE_ID}-{task_queue}"
    try:
        await client.create_schedule(schedule_id, schedule)
        log.info("created schedule %s", schedule_id)
    except ScheduleAlreadyRunningError:
        pass
