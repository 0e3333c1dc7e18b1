"""The Temporal worker: incident workflows, their activities, the redelivery and notification outbox loops
and the event purge."""

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
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import (
    PollerBehavior,
    PollerBehaviorAutoscaling,
    PollerBehaviorSimpleMaximum,
    UnsandboxedWorkflowRunner,
    Worker,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.decisions import Decider
from activities.event_retention import EventRetention
from activities.incident_store import IncidentStore
from activities.notifications import Notifier
from activities.oncall import OnCall
from activities.redelivery import Redelivery
from activities.runbook_steps import RunbookSteps
from core.notifications.outbox import Doorbell, NoticeWriter
from core.runtime import Services
from core.settings import Settings
from workflows.event_retention import EventPurgeWorkflow, event_purge_schedule_id
from workflows.incident.workflow import IncidentWorkflow
from workflows.notifications.outbox import NotificationOutboxWorkflow, notification_outbox_workflow_id
from workflows.notifications.types import OutboxLoopInput, OutboxWatch
from workflows.redelivery import (
    AlertRedeliveryWorkflow,
    RedeliveryLoopWorkflow,
    redelivery_workflow_id,
)
from workflows.remediation.workflow import RemediationWorkflow
from workflows.types import EventPurgeRequest, RedeliveryLoopInput, RedeliveryRequest, RedeliverySettings

log = logging.getLogger(__name__)

WORKFLOWS = [
    IncidentWorkflow,
    RemediationWorkflow,
    RedeliveryLoopWorkflow,
    AlertRedeliveryWorkflow,
    EventPurgeWorkflow,
    NotificationOutboxWorkflow,
]


def build_worker(client: Client, services: Services, *, task_queue: str | None = None) -> Worker:
    settings = services.settings
    # First assignments are written with their incident; this worker's outbox dispatcher hears of them.
    doorbell = Doorbell()
    store = IncidentStore(services.hot_sessions, notices=NoticeWriter(settings.public_url, doorbell))
    redelivery = Redelivery(services.sessions, services.directory, services.dispatch)
    retention = EventRetention(services.sessions)
    steps = RunbookSteps(services.sessions, settings)
    decider = Decider(services.sessions, settings, engine=services.decisions)
    # Notifications are written as incidents open, beside alert intake: on SQLite they queue on the hot
    # writers' one connection rather than sleep in its busy handler (core/db/engine.py hot_path_engine).
    notifier = Notifier(services.hot_sessions, settings, box=services.box, doorbell=doorbell)
    oncall = OnCall(services.sessions)
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
            retention.purge_expired_events,
            steps.run_step,
            decider.decide,
            notifier.notify,
            notifier.dispatch_outbox,
            oncall.choose_assignee,
            oncall.escalation_step,
            oncall.approvers,
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


def redelivery_settings(services: Services) -> RedeliverySettings:
    settings = services.settings
    return RedeliverySettings(
        interval_s=settings.redelivery_interval_s,
        request=RedeliveryRequest(
            older_than_s=settings.redelivery_after_s,
            limit=settings.redelivery_limit,
            page_size=settings.redelivery_page_size,
            max_attempts=settings.redelivery_max_attempts,
            delivery_id_retention_hours=settings.delivery_id_retention_hours,
        ),
    )


async def ensure_redelivery_loop(
    client: Client, services: Services, *, task_queue: str | None = None
) -> None:
    """Starts the task queue's redelivery loop unless it runs, and hands it this worker's settings.

    Every worker calls this at start. The workflow id is the same for all of them and an existing run is
    reused, so exactly one loop runs per task queue; its settings follow the latest worker started. The
    schedule that ran redelivery before is deleted.
    """
    task_queue = task_queue or services.settings.task_queue
    workflow_id = redelivery_workflow_id(task_queue)
    await _delete_old_schedule(client, workflow_id)
    settings = redelivery_settings(services)
    # Signal-with-start, not an update: it needs no worker to answer, and this runs before ours starts.
    await client.start_workflow(
        RedeliveryLoopWorkflow.run,
        RedeliveryLoopInput(settings=settings),
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        start_signal="configure",
        start_signal_args=[settings],
        static_summary=f"Redelivers stored alerts that reached no incident (task queue {task_queue})",
    )


async def ensure_notification_outbox_loop(
    client: Client, services: Services, *, task_queue: str | None = None
) -> None:
    """Starts the task queue's notification outbox loop unless it runs, and hands it this worker's
    settings; like the redelivery loop, one per task queue whichever worker starts first."""
    settings = services.settings
    task_queue = task_queue or settings.task_queue
    watch = OutboxWatch(
        seconds=settings.notification_outbox_pass_s, poll_s=settings.notification_outbox_poll_s
    )
    await client.start_workflow(
        NotificationOutboxWorkflow.run,
        OutboxLoopInput(watch=watch),
        id=notification_outbox_workflow_id(task_queue),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        start_signal="configure",
        start_signal_args=[watch],
        static_summary=f"Sends the email and Slack of notices written with their incident ({task_queue})",
    )


async def _delete_old_schedule(client: Client, schedule_id: str) -> None:
    """Redelivery ran on a schedule of this id (`alert-redelivery-<task queue>`) before the loop."""
    try:
        await client.get_schedule_handle(schedule_id).delete()
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        return
    log.info("deleted the former redelivery schedule %s", schedule_id)


def event_purge_schedule(services: Services, task_queue: str) -> Schedule:
    settings = services.settings
    request = EventPurgeRequest(
        retention_days=settings.event_retention_days, batch_size=settings.event_purge_batch_size
    )
    return Schedule(
        action=ScheduleActionStartWorkflow(
            EventPurgeWorkflow.run,
            request,
            id=event_purge_schedule_id(task_queue),
            task_queue=task_queue,
            static_summary=f"Purges incident events older than {settings.event_retention_days:g} days",
        ),
        spec=ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=timedelta(minutes=settings.event_purge_interval_minutes))]
        ),
        # A pass still running (a huge backlog) is not joined by a second one.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_event_purge_schedule(
    client: Client, services: Services, *, task_queue: str | None = None
) -> None:
    """Creates the task queue's event purge schedule, or hands the existing one this worker's settings.
    Every worker calls this at start; the schedule id is per task queue, so there is one."""
    task_queue = task_queue or services.settings.task_queue
    schedule_id = event_purge_schedule_id(task_queue)
    wanted = event_purge_schedule(services, task_queue)
    try:
        await client.create_schedule(schedule_id, wanted)
        return
    except ScheduleAlreadyRunningError:
        pass

    def adopt(current: ScheduleUpdateInput) -> ScheduleUpdate:
        # Keeps whatever an operator set on it (paused, notes); takes this worker's action and interval.
        schedule = current.description.schedule
        schedule.action, schedule.spec, schedule.policy = wanted.action, wanted.spec, wanted.policy
        return ScheduleUpdate(schedule=schedule)

    await client.get_schedule_handle(schedule_id).update(adopt)
