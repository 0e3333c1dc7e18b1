"""The event outbox's retention runs on a Temporal schedule of its own, one per task queue, and deletes in
batches only the events past their retention."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
)

from core.db.models import Event
from core.events import outbox
from core.events.types import EventDraft
from core.settings import Settings
from tests.support.stack import Stack, eventually, make_stack
from worker.worker import ensure_event_purge_schedule
from workflows.event_retention import EventPurgeWorkflow, event_purge_schedule_id
from workflows.types import EventPurgeRequest, EventPurgeResult


@pytest.fixture
def database_url(own_database_url: str) -> str:
    """A database per test: the purge covers every company's events."""
    return own_database_url


async def stored(stack: Stack, company_id: str, key: str, age: timedelta) -> None:
    draft = EventDraft(
        dedup_key=key, type="note.added", company_id=company_id, incident_id=None, at=datetime.now(UTC) - age
    )
    async with stack.services.sessions() as session, session.begin():
        outbox.stage(session, [draft])


async def keys(stack: Stack) -> list[str]:
    async with stack.services.sessions() as session:
        return list((await session.execute(select(Event.dedup_key).order_by(Event.id))).scalars())  # type: ignore[call-overload]


async def test_the_purge_schedule_deletes_only_events_past_retention_in_batches(
    settings: Settings, temporal_client: Client
) -> None:
    running = make_stack(settings.model_copy(update={"event_purge_batch_size": 2}), temporal_client)
    schedule = temporal_client.get_schedule_handle(event_purge_schedule_id(settings.task_queue))
    try:
        acme = await running.company()
        for i in range(5):
            await stored(running, acme.id, f"old-{i}", timedelta(days=8))
        await stored(running, acme.id, "six-days-old", timedelta(days=6))
        await stored(running, acme.id, "fresh", timedelta())
        # Every worker ensures it at start: one schedule.
        await asyncio.gather(
            *(ensure_event_purge_schedule(temporal_client, running.services) for _ in range(3))
        )
        running.start_worker()
        await schedule.trigger()
        assert await eventually(lambda: keys(running), lambda k: len(k) == 2) == ["six-days-old", "fresh"]

        described = await eventually(schedule.describe, lambda d: len(d.info.recent_actions) == 1)
        started = described.info.recent_actions[0].action
        assert isinstance(started, ScheduleActionExecutionStartWorkflow)
        run = temporal_client.get_workflow_handle_for(
            EventPurgeWorkflow.run, started.workflow_id, run_id=started.first_execution_run_id
        )
        assert await run.result() == EventPurgeResult(purged=5, batches=3)
    finally:
        await schedule.delete()
        await running.close()


async def test_a_worker_with_other_settings_updates_the_schedule(
    settings: Settings, temporal_client: Client
) -> None:
    first = make_stack(settings, temporal_client)
    later = make_stack(
        settings.model_copy(update={"event_purge_interval_minutes": 15, "event_retention_days": 3}),
        temporal_client,
    )
    schedule = temporal_client.get_schedule_handle(event_purge_schedule_id(settings.task_queue))
    try:
        await ensure_event_purge_schedule(temporal_client, first.services)
        assert (await schedule.describe()).schedule.spec.intervals == [
            ScheduleIntervalSpec(every=timedelta(hours=1))
        ]
        await ensure_event_purge_schedule(temporal_client, later.services)
        now = (await schedule.describe()).schedule
        assert now.spec.intervals == [ScheduleIntervalSpec(every=timedelta(minutes=15))]
        assert isinstance(now.action, ScheduleActionStartWorkflow)
        # Described schedules hold their arguments undecoded.
        [request] = await temporal_client.data_converter.decode(now.action.args, [EventPurgeRequest])  # type: ignore[arg-type]
        assert request == EventPurgeRequest(retention_days=3, batch_size=settings.event_purge_batch_size)
    finally:
        await schedule.delete()
        await first.close()
        await later.close()
