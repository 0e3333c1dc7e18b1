"""No alert lost when an incident will not take it: alerts it refuses, or holds when it resolves, go to
`forward_alerts` and on to the incident that takes them, through the real worker, dev server and database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core.accounts.roles import Role
from core.companies.context import CompanyContext
from tests.support.helpers import store_alerts
from tests.support.signin import bearer
from tests.support.stack import Stack, alert_body, eventually
from workflows.incident.correlation import incident_workflow_id
from workflows.incident.workflow import IncidentWorkflow
from workflows.types import AddAlerts, IncidentStatus


async def context(stack: Stack, company_id: str) -> CompanyContext:
    found = await stack.services.directory.by_id(company_id)
    assert found is not None
    return found


async def test_alert_signalled_to_an_incident_past_its_window_is_forwarded_and_counted_once_in_the_next(
    stack: Stack,
) -> None:
    acme = await stack.company()
    company = await context(stack, acme.id)
    key, old = await store_alerts(
        stack.services, acme.id, 1, received_at=datetime.now(UTC) - timedelta(hours=1)
    )
    [opened] = await stack.services.router.route_batch(company, key, old)
    first_id = opened.incident_id or ""
    await eventually(lambda: stack.incidents(acme.id), lambda rows: len(rows) == 1)
    _, new = await store_alerts(stack.services, acme.id, 1)

    # A sender whose view is stale signals the incident, which no longer takes alerts of this key.
    await stack.client.get_workflow_handle(first_id).signal(
        IncidentWorkflow.alerts_arrived, AddAlerts(alerts=new)
    )

    next_id = incident_workflow_id(acme.id, key, 2)
    incidents = await eventually(lambda: stack.incidents(acme.id), lambda rows: len(rows) == 2)
    assert {i.id: i.alert_count for i in incidents} == {first_id: 1, next_id: 1}
    owners = {a.id: a.incident_id for a in await stack.alerts(acme.id)}
    assert owners == {old[0].id: first_id, new[0].id: next_id}


async def test_alert_pending_when_a_technician_resolves_the_incident_ends_counted_once_in_the_next(
    stack: Stack,
) -> None:
    acme = await stack.company()
    admin = await stack.user(Role.company_admin, [acme.id])
    opened = await stack.post_alert(acme, alert_body())
    first_id = await stack.incident_of(opened)
    key = opened.json()["aggregation_key"]
    await eventually(lambda: stack.incidents(acme.id), lambda rows: len(rows) == 1)
    _, late = await store_alerts(stack.services, acme.id, 1)

    # With no worker, the signal and the resolve wait in Temporal and reach the incident together.
    await stack.stop_worker()
    await stack.client.get_workflow_handle(first_id).signal(
        IncidentWorkflow.alerts_arrived, AddAlerts(alerts=late)
    )
    resolving = asyncio.create_task(
        stack.http.post(
            f"{stack.url}/api/incidents/{first_id}/resolve", headers=bearer(admin["access_token"])
        )
    )
    await asyncio.sleep(0.5)
    stack.start_worker()
    resolved = await resolving
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == IncidentStatus.resolved.value

    final = await asyncio.wait_for(
        stack.client.get_workflow_handle_for(IncidentWorkflow.run, first_id).result(), 30
    )
    assert final.status == IncidentStatus.resolved
    incidents = await eventually(
        lambda: stack.incidents(acme.id), lambda rows: sum(i.alert_count for i in rows) == 2
    )
    owners = {a.id: a.incident_id for a in await stack.alerts(acme.id)}
    # Resolved with the alert still pending: it went on to the next generation, counted there once.
    next_id = incident_workflow_id(acme.id, key, 2)
    assert {i.id: i.alert_count for i in incidents} == {first_id: 1, next_id: 1}
    assert owners[late[0].id] == next_id


async def test_resolving_an_incident_whose_workflow_has_ended_answers_409(stack: Stack) -> None:
    acme = await stack.company()
    admin = await stack.user(Role.company_admin, [acme.id])
    incident_id = await stack.incident_of(await stack.post_alert(acme, alert_body()))
    await eventually(lambda: stack.incidents(acme.id), lambda rows: len(rows) == 1)
    url = f"{stack.url}/api/incidents/{incident_id}/resolve"
    first = await stack.http.post(url, headers=bearer(admin["access_token"]))
    assert first.status_code == 200, first.text
    await asyncio.wait_for(stack.client.get_workflow_handle(incident_id).result(), 30)

    again = await stack.http.post(url, headers=bearer(admin["access_token"]))

    assert again.status_code == 409, again.text
    assert "has ended" in again.json()["detail"]
