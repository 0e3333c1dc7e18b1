"""An alert that got a 2xx always ends up in exactly one incident: worker down, API crash, redelivery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client

from core.settings import Settings
from tests.support.helpers import store_alerts
from tests.support.stack import Stack, alert_body, eventually, make_stack
from worker.worker import ensure_redelivery_loop
from workflows.redelivery import redelivery_workflow_id


@pytest.fixture
def database_url(own_database_url: str) -> str:
    """A database per test: redelivery hands on every unrouted alert in the database, whatever the company,
    so a test must not meet another's (its worker would route them, or they would count as its own)."""
    return own_database_url


@pytest.fixture
async def quick_redelivery_stack(settings: Settings, temporal_client: Client) -> AsyncIterator[Stack]:
    """API up, worker not yet started; redelivery every 2 s for alerts unrouted for 1 s."""
    quick = settings.model_copy(
        update={"redelivery_after_s": 1, "redelivery_interval_s": 2, "webhook_answer_timeout_s": 1.0}
    )
    running = make_stack(quick, temporal_client)
    await running.start_api()
    await ensure_redelivery_loop(temporal_client, running.services)
    yield running
    await temporal_client.get_workflow_handle(redelivery_workflow_id(quick.task_queue)).terminate()
    await running.close()


def counted(total: int):  # type: ignore[no-untyped-def]
    return lambda rows: sum(i.alert_count for i in rows) == total


async def test_alerts_accepted_while_worker_down_reach_their_incidents(
    quick_redelivery_stack: Stack, temporal_client: Client
) -> None:
    stack = quick_redelivery_stack
    acme = await stack.company()
    bodies = [alert_body(asset_name=f"web-{i % 3}") for i in range(12)]
    responses = await asyncio.gather(*(stack.post_alert(acme, body) for body in bodies))
    # New incidents start and joining alerts are signalled: Temporal holds them durably already (a 202
    # `queued` when that took longer than the answer timeout, on a busy machine).
    assert {r.status_code for r in responses} <= {200, 202}
    # A second API process knows nothing of these incidents, so it must ask the incident itself,
    # which cannot answer without a worker: the alert is stored and the answer says it is queued.
    other_api = make_stack(stack.settings, temporal_client)
    await other_api.start_api()
    try:
        queued = await other_api.post_alert(acme, alert_body(asset_name="web-0"))
    finally:
        await other_api.close()
    assert queued.status_code == 202 and queued.json()["queued"] is True
    assert queued.json()["incident_id"] is None
    assert await stack.incidents(acme.id) == []  # nothing processed yet: no worker

    stack.start_worker()
    incidents = await eventually(lambda: stack.incidents(acme.id), counted(13), timeout=90)
    assert sorted(i.alert_count for i in incidents) == [4, 4, 5]
    alerts = await stack.alerts(acme.id)
    assert all(a.incident_id for a in alerts) and len(alerts) == 13
    assert {await stack.incident_of(r) for r in responses} == {i.id for i in incidents}


async def test_alert_stored_before_an_api_crash_is_redelivered(quick_redelivery_stack: Stack) -> None:
    """Alerts committed but never handed to Temporal (the API died in between) are found and routed."""
    stack = quick_redelivery_stack
    stack.start_worker()
    acme = await stack.company()
    await store_alerts(stack.services, acme.id, 5)
    incidents = await eventually(lambda: stack.incidents(acme.id), counted(5), timeout=60)
    assert len(incidents) == 1
    assert all(a.incident_id == incidents[0].id for a in await stack.alerts(acme.id))
