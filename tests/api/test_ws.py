"""WebSocket /ws over a real API, worker and Temporal: live incident events, tenancy, resume, fan-out
across API processes, and a client that never reads."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.client import Client
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from api import tokens
from core.accounts.roles import Role
from core.db.models import Event
from core.events import outbox
from core.events.types import EventDraft
from core.settings import Settings
from tests.support.stack import Stack, alert_body, eventually, make_stack
from workflows.types import CorrelationPolicy


def ws_url(stack: Stack) -> str:
    return stack.url.replace("http://", "ws://") + "/ws"


@asynccontextmanager
async def socket(stack: Stack, token: str, **options: Any) -> AsyncIterator[ClientConnection]:
    async with connect(ws_url(stack), **options) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "ready"
        yield ws


async def next_event(ws: ClientConnection, timeout: float = 30) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message["type"] == "event":
            return dict(message["event"])


async def events_until(ws: ClientConnection, done: Any, timeout: float = 30) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not done(seen):
        seen.append(await next_event(ws, deadline - time.monotonic()))
    return seen


async def outbox_ids(stack: Stack, company_id: str, after: int = 0) -> list[int]:
    async with stack.services.sessions() as session:
        rows = await session.execute(
            select(Event.id).where(Event.company_id == company_id, Event.id > after).order_by(Event.id)  # type: ignore[arg-type,operator]
        )
        return [int(i) for i in rows.scalars()]


def has_created(seen: list[dict[str, Any]]) -> bool:
    return any(e["type"] == "incident.created" for e in seen)


def has_created_and_correlated(seen: list[dict[str, Any]]) -> bool:
    """The first write of a new incident: incident.created, then alert.correlated."""
    return {"incident.created", "alert.correlated"} <= {e["type"] for e in seen}


async def test_a_signed_webhook_reaches_an_open_socket_as_incident_created(
    stack: Stack,
) -> None:
    acme = await stack.company()
    user = await stack.user(Role.technician, [acme.id])
    async with socket(stack, user["access_token"]) as ws:
        answer = await stack.post_alert(acme, alert_body())
        incident_id = await stack.incident_of(answer)
        seen = await events_until(ws, has_created)  # how fast: bench/, tests assert no timings
    created = next(e for e in seen if e["type"] == "incident.created")
    assert created["incident_id"] == incident_id and created["company_id"] == acme.id
    assert set(created) == {"id", "type", "company_id", "incident_id", "at", "data"}


async def test_a_bad_token_is_closed_with_4401(stack: Stack) -> None:
    async with connect(ws_url(stack)) as ws:
        await ws.send(json.dumps({"type": "auth", "token": "not.a.jwt"}))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_a_signed_out_session_is_closed_at_once(stack: Stack) -> None:
    acme = await stack.company()
    user = await stack.user(Role.technician, [acme.id])
    async with socket(stack, user["access_token"]) as ws:
        response = await stack.http.post(
            f"{stack.url}/api/auth/logout", headers={"Authorization": f"Bearer {user['access_token']}"}
        )
        assert response.status_code in (200, 204), response.text
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_a_pending_incident_reaches_the_socket_only_when_it_surfaces_with_incident_created_first(
    stack: Stack,
) -> None:
    # With min_alerts=2 the first alert opens a pending incident, which the incident list hides.
    quiet = await stack.company("Quiet", policy=CorrelationPolicy(min_alerts=2))
    user = await stack.user(Role.technician, [quiet.id])
    async with socket(stack, user["access_token"]) as ws:
        incident_id = await stack.incident_of(await stack.post_alert(quiet, alert_body()))
        await eventually(lambda: stack.incidents(quiet.id), lambda rows: [r.alert_count for r in rows] == [1])
        await stack.post_alert(quiet, alert_body())
        seen = await events_until(ws, has_created)
    # In id order: anything written while it was pending would have come before its incident.created.
    about = [e for e in seen if e["incident_id"] == incident_id]
    assert [e["type"] for e in about] == ["incident.created"]
    assert about[0]["data"]["incident"]["status"] == "new"
    assert about[0]["data"]["incident"]["alert_count"] == 2


async def test_a_tenant_receives_only_its_own_companies_events(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    acme_user = await stack.user(Role.technician, [acme.id])
    msp = await stack.user(Role.msp_admin, [])
    async with (
        socket(stack, acme_user["access_token"]) as tenant,
        socket(stack, msp["access_token"]) as admin,
    ):
        await admin.send(json.dumps({"type": "subscribe", "company_ids": [globex.id]}))
        await stack.incident_of(await stack.post_alert(globex, alert_body()))
        await stack.incident_of(await stack.post_alert(acme, alert_body()))
        seen = await events_until(tenant, has_created)
        narrowed = await events_until(admin, has_created)
    assert {e["company_id"] for e in seen} == {acme.id}
    assert {e["company_id"] for e in narrowed} == {globex.id}


async def test_resume_after_a_disconnect_receives_exactly_the_missed_events_then_live(stack: Stack) -> None:
    acme = await stack.company()
    user = await stack.user(Role.company_admin, [acme.id])
    async with socket(stack, user["access_token"]) as ws:
        await stack.incident_of(await stack.post_alert(acme, alert_body(asset_name="web-01")))
        seen = await events_until(ws, has_created)
    last = max(e["id"] for e in seen)
    # Missed while disconnected: another incident.
    await stack.incident_of(await stack.post_alert(acme, alert_body(asset_name="web-02")))
    await asyncio.sleep(0.5)
    missed = await outbox_ids(stack, acme.id, after=last)
    assert missed
    async with socket(stack, user["access_token"]) as ws:
        await ws.send(json.dumps({"type": "resume", "after": last}))
        replayed = await events_until(ws, lambda s: len(s) >= len(missed))
        await stack.incident_of(await stack.post_alert(acme, alert_body(asset_name="web-03")))
        live = await events_until(ws, has_created_and_correlated)
    assert [e["id"] for e in replayed] == missed
    ids = [e["id"] for e in replayed + live]
    assert ids == sorted(set(ids)), "no duplicate and in order across the switch to live"
    assert ids == await outbox_ids(stack, acme.id, after=last)


async def test_two_api_processes_both_deliver(stack: Stack) -> None:
    second = make_stack(stack.settings, stack.client)
    await second.start_api()
    try:
        acme = await stack.company()
        user = await stack.user(Role.technician, [acme.id])
        async with socket(stack, user["access_token"]) as one, socket(second, user["access_token"]) as two:
            incident_id = await stack.incident_of(await stack.post_alert(acme, alert_body()))
            first = await events_until(one, has_created)
            other = await events_until(two, has_created)
        assert incident_id in {e["incident_id"] for e in first} & {e["incident_id"] for e in other}
    finally:
        await second.close()


async def test_a_client_that_never_reads_is_dropped_without_hurting_the_others(stack: Stack) -> None:
    stack.settings.ws_queue_size = 50
    acme = await stack.company()
    user = await stack.user(Role.technician, [acme.id])
    batches, per_batch = 40, 10
    async with (
        socket(stack, user["access_token"], max_queue=1) as stalled,
        socket(stack, user["access_token"]) as reader,
    ):
        assert stack.services.events.listeners == 2
        consumed = asyncio.create_task(
            events_until(reader, lambda s: len(s) >= batches * per_batch, timeout=60)
        )
        for batch in range(batches):
            async with stack.services.sessions() as session, session.begin():
                outbox.stage(
                    session,
                    [
                        EventDraft(
                            dedup_key=f"bulk-{acme.id}-{batch}-{i}",
                            type="note.added",
                            company_id=acme.id,
                            incident_id=None,
                            at=datetime.now(UTC),
                            data={"text": secrets.token_urlsafe(75_000)},  # incompressible
                        )
                        for i in range(per_batch)
                    ],
                )
            await asyncio.sleep(0.01)
        received = await consumed
        assert [e["id"] for e in received] == await outbox_ids(stack, acme.id)
        deadline = time.monotonic() + 10
        while stack.services.events.listeners > 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert stack.services.events.listeners == 1, "the stalled client is still subscribed"
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(stalled.recv(), 10)


async def test_a_socket_is_closed_when_its_access_token_expires(stack: Stack) -> None:
    acme = await stack.company()
    user = await stack.user(Role.technician, [acme.id])
    claims = tokens.decode(stack.settings.secret_key, user["access_token"], "access")
    short = tokens.encode(
        stack.settings.secret_key,
        # Long enough to sign in on a loaded machine; the socket is then idle until the token expires.
        tokens.issue(claims.user_id, "access", claims.session_id, timedelta(seconds=6)),
    )
    expires = tokens.decode(stack.settings.secret_key, short, "access").expires_at
    async with socket(stack, short) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 60)  # a deadline, not a timing: no close fails here
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    assert closed.value.rcvd.reason == "access token expired"  # by the expiry timer, not refused at sign-in
    assert datetime.now(UTC) >= expires, "closed when the token expired, not before"


async def test_a_client_that_answers_no_pings_is_closed(settings: Settings, temporal_client: Client) -> None:
    settings.ws_ping_interval_s, settings.ws_ping_timeout_s = 0.3, 0.3
    quick = make_stack(settings, temporal_client)
    await quick.start_api()
    try:
        acme = await quick.company()
        user = await quick.user(Role.technician, [acme.id])
        async with socket(quick, user["access_token"]) as ws:
            assert quick.services.events.listeners == 1
            ws.transport.pause_reading()  # a dead peer: pings go unanswered
            deadline = time.monotonic() + 10
            while quick.services.events.listeners and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert quick.services.events.listeners == 0
            ws.transport.resume_reading()
    finally:
        await quick.close()
