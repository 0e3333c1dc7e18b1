"""The database decides which incident an alert belongs to: the real IncidentStore activities on
PostgreSQL, the real worker and dev server. The workflow's in-memory `recent_alert_ids` filter cannot
help here: each incident below is a new workflow that has never seen the alerts."""

from __future__ import annotations

import asyncio

from temporalio.client import WorkflowHandle

from core.companies.context import CompanyContext
from tests.support.helpers import store_alerts
from tests.support.stack import Stack, eventually
from workflows.incident.correlation import incident_workflow_id
from workflows.incident.workflow import IncidentWorkflow
from workflows.types import AlertRef, IncidentInput, IncidentStart, IncidentState, IncidentStatus


async def context(stack: Stack, company_id: str) -> CompanyContext:
    found = await stack.services.directory.by_id(company_id)
    assert found is not None
    return found


async def start_incident(
    stack: Stack, company: CompanyContext, key: str, generation: int, alerts: list[AlertRef]
) -> WorkflowHandle[IncidentWorkflow, IncidentState]:
    """What a redelivery after a crash amounts to: a new incident handed alerts that may be taken."""
    workflow_id = incident_workflow_id(company.id, key, generation)
    return await stack.client.start_workflow(
        IncidentWorkflow.run,
        IncidentInput(
            start=IncidentStart(
                incident_id=workflow_id,
                company_id=company.id,
                aggregation_key=key,
                generation=generation,
                policy=company.policy,
                alerts=alerts,
            )
        ),
        id=workflow_id,
        task_queue=stack.settings.task_queue,
    )


async def test_new_incident_handed_alerts_partly_attached_elsewhere_counts_only_its_own(stack: Stack) -> None:
    acme = await stack.company()
    company = await context(stack, acme.id)
    key, taken = await store_alerts(stack.services, acme.id, 2)
    _, fresh = await store_alerts(stack.services, acme.id, 1)
    routed = await stack.services.router.route_batch(company, key, taken)
    first_id = routed[0].incident_id
    await eventually(lambda: stack.incidents(acme.id), lambda rows: [i.alert_count for i in rows] == [2])

    handle = await start_incident(stack, company, key, 2, [taken[0], *fresh])

    state = await eventually(
        lambda: handle.query(IncidentWorkflow.current_state), lambda s: s.alert_count > 0, timeout=30
    )
    assert state.alert_count == 1 and state.recent_alert_ids == [fresh[0].id]
    incidents = await eventually(lambda: stack.incidents(acme.id), lambda rows: len(rows) == 2)
    assert {i.id: i.alert_count for i in incidents} == {first_id: 2, handle.id: 1}
    owners = {a.id: a.incident_id for a in await stack.alerts(acme.id)}
    assert owners == {taken[0].id: first_id, taken[1].id: first_id, fresh[0].id: handle.id}
    await handle.terminate()


async def test_new_incident_handed_only_alerts_attached_elsewhere_ends_void_and_leaves_no_incident(
    stack: Stack,
) -> None:
    acme = await stack.company()
    company = await context(stack, acme.id)
    key, taken = await store_alerts(stack.services, acme.id, 2)
    routed = await stack.services.router.route_batch(company, key, taken)
    first_id = routed[0].incident_id
    await eventually(lambda: stack.incidents(acme.id), lambda rows: [i.alert_count for i in rows] == [2])

    handle = await start_incident(stack, company, key, 2, taken)
    try:
        final = await asyncio.wait_for(handle.result(), 30)
    except TimeoutError:
        await handle.terminate()
        raise AssertionError("the incident did not end although it took none of its alerts") from None

    assert final.status == IncidentStatus.void and final.alert_count == 0
    assert [(i.id, i.alert_count) for i in await stack.incidents(acme.id)] == [(first_id, 2)]
    assert {a.incident_id for a in await stack.alerts(acme.id)} == {first_id}
