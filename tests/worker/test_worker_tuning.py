"""The worker's pollers and slots come from settings (AW_WORKER_*); a worker built that way runs incidents.

How soon a new incident's first workflow task starts is a timing, shown by bench/first_task.py; these
tests pin what produces it: enough pollers on the shared task queue, where first tasks wait.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.worker import PollerBehaviorAutoscaling, PollerBehaviorSimpleMaximum, WorkerConfig

from core.runtime import Services, build_services
from core.settings import Settings
from tests.support.stack import Stack, alert_body, eventually, make_stack
from worker.worker import build_worker


@pytest.fixture
async def worker_config(
    settings: Settings, temporal_client: Client
) -> AsyncIterator[Callable[..., WorkerConfig]]:
    """The configuration `build_worker` gives a worker under these settings, with some of them changed."""
    built: list[Services] = []

    def config(**changes: Any) -> WorkerConfig:
        services = build_services(settings.model_copy(update=changes), temporal_client)
        built.append(services)
        # A task queue of its own each: one client refuses two workers on one queue.
        return build_worker(temporal_client, services, task_queue=f"tuning-{uuid.uuid4().hex[:10]}").config()

    yield config
    for services in built:
        await services.close()


def test_default_worker_keeps_many_pollers_on_the_shared_queue_where_new_incidents_wait(
    worker_config: Callable[..., WorkerConfig],
) -> None:
    config = worker_config()

    pollers = config["workflow_task_poller_behavior"]
    assert isinstance(pollers, PollerBehaviorSimpleMaximum)
    shared_queue_pollers = pollers.maximum * config["nonsticky_to_sticky_poll_ratio"]
    # The SDK's default, 5 pollers with 1 of them on the shared queue, left first tasks waiting seconds.
    assert shared_queue_pollers >= 10


def test_worker_takes_its_pollers_and_slots_from_settings(worker_config: Callable[..., WorkerConfig]) -> None:
    config = worker_config(
        worker_workflow_task_pollers=12,
        worker_activity_task_pollers=3,
        worker_nonsticky_poll_ratio=0.25,
        worker_max_concurrent_workflow_tasks=70,
        worker_max_concurrent_local_activities=80,
        worker_max_concurrent_activities=90,
    )

    assert config["workflow_task_poller_behavior"] == PollerBehaviorSimpleMaximum(maximum=12)
    assert config["activity_task_poller_behavior"] == PollerBehaviorSimpleMaximum(maximum=3)
    assert config["nonsticky_to_sticky_poll_ratio"] == 0.25
    assert config["max_concurrent_workflow_tasks"] == 70
    assert config["max_concurrent_local_activities"] == 80
    assert config["max_concurrent_activities"] == 90

    autoscaling = worker_config(worker_poller_behavior="autoscaling", worker_workflow_task_pollers=30)
    assert autoscaling["workflow_task_poller_behavior"] == PollerBehaviorAutoscaling(
        minimum=2, maximum=30, initial=5
    )


@pytest.fixture
async def autoscaling_stack(settings: Settings, temporal_client: Client) -> AsyncIterator[Stack]:
    tuned = settings.model_copy(
        update={"worker_poller_behavior": "autoscaling", "worker_workflow_task_pollers": 30}
    )
    # As in production: the API does not start workflows eagerly, so the first task goes through a poller.
    running = make_stack(tuned, temporal_client, eager_start=False)
    await running.start_api()
    running.start_worker()
    yield running
    await running.close()


async def test_worker_with_autoscaling_pollers_opens_and_counts_incidents(autoscaling_stack: Stack) -> None:
    stack = autoscaling_stack
    acme = await stack.company()
    answers = [await stack.post_alert(acme, alert_body(asset_name=f"host-{i}")) for i in range(3)]
    opened = {await stack.incident_of(a) for a in answers}
    incidents = await eventually(
        lambda: stack.incidents(acme.id), lambda rows: sorted(i.alert_count for i in rows) == [1, 1, 1]
    )
    assert {i.id for i in incidents} == opened
