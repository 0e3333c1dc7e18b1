"""The clients of bench/ws.py: signed webhooks and sign-in over HTTP; WebSocket listeners, each of which
authenticates with `{type: auth}` and notes when every event arrived; and the outbox they are checked
against."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from process_stack import Tenant
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from traffic import paced, signed_headers
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from core.db.models import Alert, Event


@dataclass
class Posted:
    alert_id: str | None  # 200 and 202 (incident not known yet) both name the alert
    incident_id: str | None
    before_post: float  # time.monotonic() just before the request left
    status: int


async def send_alerts(url: str, tenants: list[Tenant], count: int, rate: float) -> list[Posted]:
    """Open loop, new keys, round-robin over the tenants."""
    run = uuid.uuid4().hex[:8]
    posted: list[Posted] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:

        async def one(i: int) -> None:
            tenant = tenants[i % len(tenants)]
            body = json.dumps(
                {
                    "asset_name": f"ws-{run}-{i}",
                    "signature": "disk_space_critical",
                    "severity": "high",
                    "message": "bench/ws.py",
                    "tool_source": "bench",
                }
            ).encode()
            headers = signed_headers(tenant, body)
            before = time.monotonic()
            try:
                async with http.post(f"{url}/api/webhooks/alerts", data=body, headers=headers) as answer:
                    payload = await answer.read()
            except (aiohttp.ClientError, TimeoutError):
                posted.append(Posted(None, None, before, 0))
                return
            fields = json.loads(payload) if answer.status in (200, 202) else {}
            posted.append(Posted(fields.get("alert_id"), fields.get("incident_id"), before, answer.status))

        await paced(count, rate, one)
    return posted


async def sign_in(url: str, email: str, password: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/api/auth/login", json={"email": email, "password": password}) as answer,
    ):
        if answer.status != 200:
            raise RuntimeError(f"sign-in of {email}: {answer.status} {await answer.text()}")
        return str((await answer.json())["access_token"])


@dataclass(frozen=True)
class Seen:
    type: str
    incident_id: str | None
    company_id: str
    alert_ids: tuple[str, ...] = ()  # of an alert.correlated, as a client received it


@dataclass
class Listener:
    """One client. `companies` None means every company (an msp_admin)."""

    companies: frozenset[str] | None
    catalog: dict[int, Seen]  # shared by all listeners: what each event id was
    ready_after: int = 0
    received: dict[int, float] = field(default_factory=dict)  # event id -> time.monotonic() on arrival
    told_to_resume: bool = False
    closed_with: int | None = None
    ws: ClientConnection | None = None
    reader: asyncio.Task[None] | None = None

    def wants(self, event: Seen) -> bool:
        return self.companies is None or event.company_id in self.companies

    async def open(self, url: str, token: str) -> None:
        # Offers permessage-deflate, as browsers do; the server decides.
        self.ws = await connect(url, open_timeout=120, max_queue=None)
        await self.ws.send(json.dumps({"type": "auth", "token": token}))
        ready = json.loads(await asyncio.wait_for(self.ws.recv(), 120))
        if ready.get("type") != "ready":
            raise RuntimeError(f"expected ready, got {ready}")
        self.ready_after = int(ready["last_event_id"])
        self.reader = asyncio.create_task(self._read(self.ws))

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                at = time.monotonic()
                message = json.loads(raw)
                if message["type"] == "event":
                    event = message["event"]
                    self.received[event["id"]] = at
                    if event["id"] not in self.catalog:
                        self.catalog[event["id"]] = Seen(
                            event["type"],
                            event["incident_id"],
                            event["company_id"],
                            tuple(event["data"].get("alert_ids", ())),
                        )
                elif message["type"] == "resume":
                    self.told_to_resume = True
        except ConnectionClosed:
            pass
        self.closed_with = ws.close_code

    @property
    def is_open(self) -> bool:
        return self.ws is not None and self.ws.state is State.OPEN

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 10)
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader


async def open_listeners(
    url: str,
    tokens: list[tuple[str, frozenset[str] | None]],
    count: int,
    catalog: dict[int, Seen],
    *,
    concurrency: int,
    progress: Callable[[int], None],
) -> tuple[list[Listener], list[str]]:
    """`count` listeners, round-robin over the tokens, `concurrency` handshakes at a time."""
    listeners = [Listener(tokens[i % len(tokens)][1], catalog) for i in range(count)]
    limit = asyncio.Semaphore(concurrency)
    failures: list[str] = []
    done = 0

    async def one(i: int) -> None:
        nonlocal done
        async with limit:
            try:
                await listeners[i].open(url, tokens[i % len(tokens)][0])
            except Exception as err:  # a refused or failed handshake is a figure, not a crash
                failures.append(f"{type(err).__name__}: {err}")
        done += 1
        progress(done)

    await asyncio.gather(*(one(i) for i in range(count)))
    return [listener for listener in listeners if listener.is_open], failures


async def outbox_rows(engine: AsyncEngine, after: int) -> dict[int, Seen]:
    """What the outbox holds above `after`: the truth each listener is checked against."""
    table: Any = Event.__table__
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(table.c.id, table.c.type, table.c.incident_id, table.c.company_id).where(
                table.c.id > after
            )
        )
        return {int(r.id): Seen(r.type, r.incident_id, r.company_id) for r in rows}


async def incidents_of(engine: AsyncEngine, posted: list[Posted]) -> set[str | None]:
    """The incidents the posted alerts reached (None for one not attached yet)."""
    table: Any = Alert.__table__
    wanted = [p.alert_id for p in posted if p.alert_id]
    async with engine.connect() as connection:
        rows = await connection.execute(select(table.c.incident_id).where(table.c.id.in_(wanted)))
        return {r.incident_id for r in rows}


def missing(listeners: Iterable[Listener], outbox: dict[int, Seen], through: int) -> int:
    """(listener, event) pairs the listener should have by now (its scope, after its ready) but lacks."""
    lacking = 0
    for listener in listeners:
        for event_id, event in outbox.items():
            if listener.ready_after < event_id <= through and listener.wants(event):
                lacking += event_id not in listener.received
    return lacking


def foreign(listeners: Iterable[Listener], catalog: dict[int, Seen]) -> int:
    """Events a listener received outside its scope: must be 0."""
    return sum(
        1 for listener in listeners for event_id in listener.received if not listener.wants(catalog[event_id])
    )
