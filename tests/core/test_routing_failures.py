"""How the router fails, and recovers, when Temporal does not take alerts: through the real server and
worker, with faults injected only at the gRPC edge of a client of the router's own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import Client
from temporalio.service import RPCStatusCode

from core.companies.context import CompanyContext
from core.ingest.dispatch import head_lookup
from core.ingest.routing import AlertRouter, RoutingFailed
from tests.support.faulty_temporal import FaultyClient, faulty_client
from tests.support.helpers import store_alerts
from tests.support.redelivery import abandon_unrouted, start_redelivery
from tests.support.stack import Stack, eventually
from workflows.incident.correlation import incident_workflow_id
from workflows.incident.workflow import IncidentWorkflow


async def context(stack: Stack, company_id: str) -> CompanyContext:
    found = await stack.services.directory.by_id(company_id)
    assert found is not None
    return found


def router_over(stack: Stack, client: Client, **options: float) -> AlertRouter:
    return AlertRouter(
        client,
        stack.settings.task_queue,
        head_lookup(stack.services.sessions),
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
async def faulty(temporal_client: Client) -> FaultyClient:
    return await faulty_client(temporal_client)


@pytest.mark.parametrize(
    "status", [RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.UNAVAILABLE], ids=["exhausted", "unavailable"]
)
async def test_transient_temporal_errors_are_retried_until_the_incident_takes_the_alerts(
    stack: Stack, faulty: FaultyClient, status: RPCStatusCode
) -> None:
    acme = await stack.company()
    company = await context(stack, acme.id)
    key, refs = await store_alerts(stack.services, acme.id, 2)
    starts = faulty.fail("start_workflow_execution", status, times=3)
    router = router_over(stack, faulty.client)

    routed = await asyncio.wait_for(router.route_batch(company, key, refs[:1]), 60)
    assert starts.seen == 3 and routed[0].incident_id == incident_workflow_id(acme.id, key, 1)

    # The update path retries too: an alert outside the cached window goes as an update.
    updates = faulty.fail("update_workflow_execution", status, times=3)
    later = refs[1].model_copy(update={"received_at": refs[0].received_at + timedelta(minutes=1)})
    router._open.clear()  # another API process: it knows nothing of the incident, so it must ask
    joined = await router.route_batch(company, key, [later])
    assert updates.seen == 3 and joined[0].incident_id == routed[0].incident_id and joined[0].correlated
    await eventually(
        lambda: stack.incidents(acme.id), lambda rows: len(rows) == 1 and rows[0].alert_count == 2
    )
    await router.close()


async def test_temporal_refusing_beyond_the_give_up_time_fails_the_alert_which_stays_stored_for_redelivery(
    stack: Stack, faulty: FaultyClient
) -> None:
    acme = await stack.company()
    company = await context(stack, acme.id)
    key, refs = await store_alerts(stack.services, acme.id, 1)
    faulty.fail("start_workflow_execution", RPCStatusCode.UNAVAILABLE, times=1_000_000)
    router = router_over(stack, faulty.client, give_up_after_s=0.5)

    with pytest.raises(RoutingFailed):
        await router.route(company, key, refs[0])
    assert await stack.incidents(acme.id) == []
    assert [a.incident_id for a in await stack.alerts(acme.id)] == [None]

    await start_redelivery(stack, older_than_s=0)  # the healthy stack's own router
    [incident] = await eventually(lambda: stack.incidents(acme.id), lambda rows: len(rows) == 1)
    assert incident.alert_count == 1
    await router.close()


async def test_a_failed_batch_fails_only_its_own_alerts_and_the_lane_goes_on_with_the_next(
    stack: Stack, faulty: FaultyClient
) -> None:
    acme = await stack.company()
    company = await context(stack, acme.id)
    key, refs = await store_alerts(stack.services, acme.id, 4)
    # A non-transient error: not retried, the whole batch fails at once.
    faulty.fail("start_workflow_execution", RPCStatusCode.INTERNAL, times=1)
    router = router_over(stack, faulty.client, max_batch=2)

    outcomes = await asyncio.wait_for(
        asyncio.gather(*(router.route(company, key, r) for r in refs), return_exceptions=True), 60
    )

    assert [isinstance(o, RoutingFailed) for o in outcomes] == [True, True, False, False]
    await eventually(
        lambda: stack.incidents(acme.id), lambda rows: len(rows) == 1 and rows[0].alert_count == 2
    )
    # The failed two stay stored and unrouted; redelivery brings them to the same incident, once each.
    await start_redelivery(stack, older_than_s=0)
    [incident] = await eventually(
        lambda: stack.incidents(acme.id), lambda rows: len(rows) == 1 and rows[0].alert_count == 4
    )
    assert {a.incident_id for a in await stack.alerts(acme.id)} == {incident.id}
    await router.close()


async def test_closing_the_router_cancels_alerts_in_flight_and_they_stay_stored_unrouted(
    stack: Stack, faulty: FaultyClient
) -> None:
    acme = await stack.company()
    company = await context(stack, acme.id)
    key, refs = await store_alerts(stack.services, acme.id, 1)
    hung = faulty.hang("start_workflow_execution")
    router = router_over(stack, faulty.client)

    routed = router.route(company, key, refs[0])
    await asyncio.wait_for(hung.hanging.wait(), 10)
    await router.close(grace_s=5)

    assert routed.cancelled()
    assert router._lanes == {}
    assert [a.incident_id for a in await stack.alerts(acme.id)] == [None]
    await abandon_unrouted(stack, acme.id)


async def test_alert_for_an_incident_that_is_gone_opens_the_next_generation(
    stack: Stack, temporal_client: Client
) -> None:
    """The router's cache names generation 1, whose workflow was terminated: the signal finds nothing,
    and the alert opens generation 2 instead of being lost."""
    acme = await stack.company()
    company = await context(stack, acme.id)
    key, refs = await store_alerts(stack.services, acme.id, 2)
    router = router_over(stack, stack.client)
    [first] = await router.route_batch(company, key, refs[:1])
    gone = incident_workflow_id(acme.id, key, 1)
    assert first.incident_id == gone
    await eventually(lambda: stack.incidents(acme.id), lambda rows: len(rows) == 1)
    await temporal_client.get_workflow_handle(gone).terminate(reason="test: incident gone")

    [second] = await router.route_batch(company, key, refs[1:])

    assert second.incident_id == incident_workflow_id(acme.id, key, 2) and second.correlated is False
    incidents = await eventually(lambda: stack.incidents(acme.id), lambda rows: len(rows) == 2)
    assert {i.id: i.alert_count for i in incidents} == {gone: 1, second.incident_id: 1}
    await router.close()


async def test_alert_past_the_window_of_a_cached_incident_that_is_gone_opens_the_next_generation(
    stack: Stack, temporal_client: Client
) -> None:
    """Cached as open but past its window, the alert goes as an update, not a signal; the workflow is gone
    ("missing"), generation 1 cannot be started again, and the alert opens generation 2."""
    acme = await stack.company()
    company = await context(stack, acme.id)
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    key, old = await store_alerts(stack.services, acme.id, 1, received_at=hour_ago)
    _, new = await store_alerts(stack.services, acme.id, 1)
    router = router_over(stack, stack.client)
    [first] = await router.route_batch(company, key, old)
    gone = first.incident_id or ""
    await eventually(lambda: stack.incidents(acme.id), lambda rows: len(rows) == 1)
    await temporal_client.get_workflow_handle(gone).terminate(reason="test: incident gone")

    [second] = await router.route_batch(company, key, new)

    assert second.incident_id == incident_workflow_id(acme.id, key, 2)
    incidents = await eventually(lambda: stack.incidents(acme.id), lambda rows: len(rows) == 2)
    assert {i.id: i.alert_count for i in incidents} == {gone: 1, second.incident_id: 1}
    handle = temporal_client.get_workflow_handle(second.incident_id or "")
    assert (await handle.query(IncidentWorkflow.current_state)).recent_alert_ids == [new[0].id]
    await router.close()


async def test_closing_the_router_cancels_an_update_in_flight(stack: Stack, faulty: FaultyClient) -> None:
    """The SDK turns a cancelled update call into WorkflowUpdateRPCTimeoutOrCancelledError; closing must
    still stop the lane rather than have it retry that as a timeout."""
    acme = await stack.company()
    company = await context(stack, acme.id)
    key, refs = await store_alerts(stack.services, acme.id, 2)
    router = router_over(stack, faulty.client)
    await router.route_batch(company, key, refs[:1])
    hung = faulty.hang("update_workflow_execution")
    router._open.clear()  # so the next alert goes as an update, not a signal

    routed = router.route(company, key, refs[1])
    await asyncio.wait_for(hung.hanging.wait(), 10)
    try:
        await router.close(grace_s=2)
        assert routed.cancelled(), "the lane went on retrying after close"
        assert router._lanes == {}
    finally:
        hung.heal()  # so that a lane still running, should the assertions fail, can finish
        await asyncio.sleep(0.5)
        await abandon_unrouted(stack, acme.id)
