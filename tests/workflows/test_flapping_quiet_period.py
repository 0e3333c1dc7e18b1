"""The durable quiet-period timer of a flapping incident, on Temporal's time-skipping test server."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.services import build_services
from tests.helpers import store_alerts
from tests.stack import eventually, make_stack
from worker.settings import Settings
from worker.worker import build_worker
from workflows.correlation import incident_workflow_id
from workflows.incident import SEARCH_ATTRIBUTE_KEYS, IncidentWorkflow
from workflows.types import (
    AddAlerts,
    AlertStatus,
    CorrelationPolicy,
    IncidentInput,
    IncidentStart,
    IncidentStatus,
)

TEST_SERVER = Path(sys.executable).parent / "temporal-test-server"


@pytest.fixture
async def skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER), data_converter=pydantic_data_converter
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={key.name: key.indexed_value_type for key in SEARCH_ATTRIBUTE_KEYS},
        )
    )
    yield env
    await env.shutdown()


async def test_flapping_incident_resolves_after_a_quiet_flap_window(
    skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    services = build_services(settings, skipping_env.client)
    policy = CorrelationPolicy(flap_threshold=1, flap_window_minutes=45)
    company = await make_stack(settings, skipping_env.client).company(policy=policy)
    worker = build_worker(skipping_env.client, services, task_queue=settings.task_queue)
    async with worker:
        key, first = await store_alerts(services, company.id, 1)
        workflow_id = incident_workflow_id(company.id, key, 1)
        handle = await skipping_env.client.start_workflow(
            IncidentWorkflow.run,
            IncidentInput(
                start=IncidentStart(
                    incident_id=workflow_id,
                    company_id=company.id,
                    aggregation_key=key,
                    generation=1,
                    policy=policy,
                    alerts=first,
                )
            ),
            id=workflow_id,
            task_queue=settings.task_queue,
        )
        # Two recoveries in the window: more than the threshold of 1, so the series is flapping.
        for status in (AlertStatus.resolved, AlertStatus.firing, AlertStatus.resolved):
            _, alerts = await store_alerts(services, company.id, 1, status=status)
            await handle.signal(IncidentWorkflow.alerts_arrived, AddAlerts(alerts=alerts))
        held = await eventually(
            lambda: handle.query(IncidentWorkflow.current_state), lambda state: state.recovery_count == 2
        )
        assert held.flapping_series and held.status == IncidentStatus.new

        started = datetime.now(UTC)
        final = await handle.result()  # the test server skips the 45-minute quiet period
        assert final.status == IncidentStatus.resolved and final.resolution == "auto_resolved"
        assert final.flapping_series == []
        assert (datetime.now(UTC) - started).total_seconds() < 60
    await services.close()
