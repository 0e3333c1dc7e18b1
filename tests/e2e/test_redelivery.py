"""Redelivery holds up against poison alerts and noisy tenants, and runs as one quiet loop per task queue.

An accepted alert always reaches an incident, or is set aside as `undeliverable` with its reason for an
operator to retry; one tenant's backlog never keeps another tenant's alerts waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
    ScheduleSpec,
    WorkflowExecutionStatus,
)
from temporalio.service import RPCError, RPCStatusCode

from core.accounts.roles import Role
from core.db.models import Alert, new_id
from core.settings import Settings
from tests.support.helpers import store_alerts
from tests.support.stack import Stack, alert_body, eventually, make_stack
from worker.worker import ensure_redelivery_loop
from workflows.redelivery import RedeliveryLoopWorkflow, redelivery_workflow_id
from workflows.types import RedeliveryRequest, RedeliverySettings, Severity


@pytest.fixture
def database_url(own_database_url: str) -> str:
    """A database per test: redelivery takes up every unrouted alert in the database, whatever the company,
    so one test's poison or backlog must not reach another's worker or counts."""
    return own_database_url


@contextlib.asynccontextmanager
async def redelivering(settings: Settings, client: Client, *, max_attempts: int) -> AsyncIterator[Stack]:
    """API and worker up; redelivery every second, of alerts unrouted for a second, 10 per pass."""
    quick = settings.model_copy(
        update={
            "redelivery_after_s": 1,
            "redelivery_interval_s": 1,
            "redelivery_limit": 10,
            "redelivery_page_size": 5,
            "redelivery_max_attempts": max_attempts,
        }
    )
    temporal_client = client
    running = make_stack(quick, temporal_client)
    await running.start_api()
    await ensure_redelivery_loop(temporal_client, running.services)
    running.start_worker()
    yield running
    await temporal_client.get_workflow_handle(redelivery_workflow_id(quick.task_queue)).terminate()
    await running.close()


async def attached(stack: Stack, company_id: str) -> list[Alert]:
    return [a for a in await stack.alerts(company_id) if a.incident_id]


async def store_unroutable(stack: Stack, company_id: str, count: int, *, received_at: datetime) -> list[str]:
    """Alerts the router cannot take: rows an older version wrote with a severity we no longer know."""
    ids = [new_id("al") for _ in range(count)]
    await asyncio.gather(
        *(
            stack.services.intake.store(
                {
                    "id": alert_id,
                    "company_id": company_id,
                    "delivery_id": alert_id,
                    "asset_name": "db-prod-01",
                    "signature": "disk_space_critical",
                    "severity": "sev-9",
                    "message": "from an older version",
                    "tool_source": "datadog",
                    "labels": {},
                    "status": "firing",
                    "fingerprint": "legacy",
                    "aggregation_key": "db-prod-01|disk_space_critical",
                    "received_at": received_at,
                }
            )
            for alert_id in ids
        )
    )
    return ids


async def test_a_noisy_tenants_backlog_of_failing_alerts_does_not_hold_back_another_tenants(
    settings: Settings, temporal_client: Client
) -> None:
    async with redelivering(settings, temporal_client, max_attempts=100) as stack:
        await _quiet_tenant_goes_first(stack)


async def _quiet_tenant_goes_first(stack: Stack) -> None:
    noisy, quiet = await stack.company("Noisy"), await stack.company("Quiet")
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    # Four passes' worth of older alerts that fail, then a quiet tenant's critical alerts lost in a crash.
    await store_unroutable(stack, noisy.id, 40, received_at=long_ago)
    _, lost = await store_alerts(
        stack.services, quiet.id, 5, severity=Severity.critical, received_at=long_ago + timedelta(minutes=1)
    )
    # Before, each pass took the 10 oldest alerts across companies: the noisy tenant's, failing for ever.
    # Now it takes each company's oldest in turn, so the quiet tenant's alerts go in the first pass.
    await eventually(lambda: attached(stack, quiet.id), lambda rows: len(rows) == len(lost), timeout=30)


async def test_an_alert_that_keeps_failing_is_set_aside_with_its_reason_and_an_admin_can_retry_it(
    settings: Settings, temporal_client: Client
) -> None:
    async with redelivering(settings, temporal_client, max_attempts=2) as stack:
        await _set_aside_then_retried(stack)


async def _set_aside_then_retried(stack: Stack) -> None:
    acme = await stack.company()
    (alert_id,) = await store_unroutable(
        stack, acme.id, 1, received_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    _, fine = await store_alerts(stack.services, acme.id, 3, asset="web-01")

    await eventually(
        lambda: stack.alerts(acme.id),
        lambda rows: (
            any(a.disposition == "undeliverable" for a in rows)
            and sum(1 for a in rows if a.incident_id) == len(fine)
        ),
        timeout=30,
    )
    set_aside = next(a for a in await stack.alerts(acme.id) if a.id == alert_id)
    assert set_aside.disposition == "undeliverable" and set_aside.incident_id is None
    assert set_aside.delivery_attempts == 2 and "sev-9" in (set_aside.delivery_error or "")

    admin = await stack.user(Role.company_admin, [acme.id])
    technician = await stack.user(Role.technician, [acme.id])
    outsider = await stack.user(Role.company_admin, [(await stack.company("Other")).id])

    def as_user(user: dict[str, str]) -> dict[str, str]:
        return {"Authorization": f"Bearer {user['access_token']}"}

    listed = await stack.http.get(
        f"{stack.url}/api/alerts", params={"disposition": "undeliverable"}, headers=as_user(technician)
    )
    assert listed.status_code == 200, listed.text
    assert [(a["id"], a["disposition"]) for a in listed.json()] == [(alert_id, "undeliverable")]
    assert "sev-9" in listed.json()[0]["delivery_error"]

    retry_url = f"{stack.url}/api/alerts/{alert_id}/retry"
    assert (await stack.http.post(retry_url, headers=as_user(technician))).status_code == 403
    assert (await stack.http.post(retry_url, headers=as_user(outsider))).status_code == 404

    # The operator repairs the row, then retries: it reaches its incident.
    async with stack.services.sessions() as session, session.begin():
        await session.execute(update(Alert).where(col(Alert.id) == alert_id).values(severity="high"))
    retried: httpx.Response = await stack.http.post(retry_url, headers=as_user(admin))
    assert retried.status_code in (200, 202), retried.text
    rows = await eventually(
        lambda: stack.alerts(acme.id), lambda rows: all(a.incident_id for a in rows), timeout=30
    )
    again = next(a for a in rows if a.id == alert_id)
    assert again.disposition is None and again.delivery_attempts == 0
    assert (await stack.http.post(retry_url, headers=as_user(admin))).status_code == 409


async def loop_runs(client: Client, task_queue: str) -> list[tuple[str, WorkflowExecutionStatus | None]]:
    """Every workflow on the task queue that is not an incident: what the Web UI lists beside them."""
    query = f"TaskQueue = '{task_queue}' AND WorkflowType != 'IncidentWorkflow'"
    return [(w.id, w.status) async for w in client.list_workflows(query)]


async def test_one_redelivery_loop_per_task_queue_that_follows_the_latest_worker_settings(
    settings: Settings, temporal_client: Client
) -> None:
    task_queue = settings.task_queue
    loop_id = redelivery_workflow_id(task_queue)
    # The schedule an older worker left behind: a completed run in the Web UI every interval.
    await temporal_client.create_schedule(
        loop_id,
        Schedule(
            action=ScheduleActionStartWorkflow(
                "AlertRedeliveryWorkflow", RedeliveryRequest(), id=f"{loop_id}-run", task_queue=task_queue
            ),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=1))]),
        ),
    )
    first = make_stack(settings.model_copy(update={"redelivery_interval_s": 1}), temporal_client)
    later = make_stack(
        settings.model_copy(update={"redelivery_interval_s": 2, "redelivery_max_attempts": 7}),
        temporal_client,
    )
    try:
        # Several workers start at once: one loop.
        await asyncio.gather(*(ensure_redelivery_loop(temporal_client, first.services) for _ in range(3)))
        first.start_worker()
        with pytest.raises(RPCError) as gone:
            await temporal_client.get_schedule_handle(loop_id).describe()
        assert gone.value.status == RPCStatusCode.NOT_FOUND
        handle = temporal_client.get_workflow_handle(loop_id)

        async def in_use() -> RedeliverySettings:
            return await handle.query(RedeliveryLoopWorkflow.current_settings)

        await eventually(in_use, lambda s: s.interval_s == 1)
        # A worker started with other AW_REDELIVERY_* values: the running loop adopts them.
        await ensure_redelivery_loop(temporal_client, later.services)
        now = await eventually(in_use, lambda s: s.interval_s == 2)
        assert now.request.max_attempts == 7

        # Passes every second or two, yet the list beside the incidents holds one running workflow.
        await asyncio.sleep(6)
        runs = await eventually(lambda: loop_runs(temporal_client, task_queue), lambda r: len(r) >= 1)
        assert runs == [(loop_id, WorkflowExecutionStatus.RUNNING)]
        described = await handle.describe()
        assert described.status == WorkflowExecutionStatus.RUNNING
    finally:
        await temporal_client.get_workflow_handle(loop_id).terminate()
        await first.close()
        await later.close()


async def test_retry_of_an_alert_that_is_not_undeliverable_is_refused(stack: Stack) -> None:
    acme = await stack.company()
    admin = await stack.user(Role.company_admin, [acme.id])
    alert_id = (await stack.post_alert(acme, alert_body(asset_name=f"web-{uuid.uuid4().hex[:6]}"))).json()[
        "alert_id"
    ]
    await eventually(lambda: attached(stack, acme.id), lambda rows: len(rows) == 1)
    answer = await stack.http.post(
        f"{stack.url}/api/alerts/{alert_id}/retry",
        headers={"Authorization": f"Bearer {admin['access_token']}"},
    )
    assert answer.status_code == 409 and "not undeliverable" in answer.json()["detail"]
