"""The durable quiet-period timer of a flapping incident, on Temporal's time-skipping test server."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.testing import WorkflowEnvironment

from core.runtime import build_services
from core.settings import Settings
from tests.support.helpers import store_alerts
from tests.support.stack import eventually, make_stack
from worker.worker import build_worker
from workflows.incident.correlation import incident_workflow_id
from workflows.incident.workflow import IncidentWorkflow
from workflows.types import (
    AddAlerts,
    AlertStatus,
    CorrelationPolicy,
    IncidentInput,
    IncidentStart,
    IncidentStatus,
)


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
