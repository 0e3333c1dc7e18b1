"""A running Alert Whisperer for tests: the real API over HTTP and a real worker, on a test task queue."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import httpx
import uvicorn
from sqlalchemy import select, text
from temporalio.client import Client
from temporalio.worker import Worker

from api.app import create_app
from api.server import server_config
from core.accounts.roles import Role
from core.accounts.users import create_user
from core.companies.service import create_company
from core.db.models import Alert, Incident
from core.ingest.signature import sign, sign_with_delivery_id
from core.runtime import Services, build_services
from core.settings import Settings
from worker.worker import build_worker
from workflows.types import CorrelationPolicy

T = TypeVar("T")

SERVER_START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class TenantCreds:
    id: str
    api_key: str
    hmac_secret: str


def alert_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "asset_name": "db-prod-01",
        "signature": "disk_space_critical",
        "severity": "high",
        "message": "Disk /var at 95%",
        "tool_source": "datadog",
    }
    body.update(overrides)
    return body


def signed_headers(
    creds: TenantCreds,
    body: bytes,
    *,
    delivery_id: str | None = None,
    timestamp: int | None = None,
    covering_delivery_id: bool = True,
) -> dict[str, str]:
    """Signed with v2= (covering the delivery id) unless told otherwise: tests send byte-identical
    alerts within a second, and a sha256= signature is good for one delivery id only."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    delivery_id = str(uuid.uuid4()) if delivery_id is None else delivery_id
    signature = (
        sign_with_delivery_id(creds.hmac_secret, ts, delivery_id, body)
        if covering_delivery_id
        else sign(creds.hmac_secret, ts, body)
    )
    return {
        "Content-Type": "application/json",
        "X-API-Key": creds.api_key,
        "X-Timestamp": ts,
        "X-Signature": signature,
        "X-Delivery-ID": delivery_id,
    }


@dataclass
class Stack:
    settings: Settings
    services: Services
    client: Client
    url: str = ""
    # No pool timeout: a burst (500 concurrent posts) waits its turn for one of the 100 connections
    # however long the machine takes; every request still has 60 s to connect, send and be answered.
    http: httpx.AsyncClient = field(
        default_factory=lambda: httpx.AsyncClient(timeout=httpx.Timeout(60, pool=None))
    )
    # What a test builds once per stack and reuses across hypothesis examples (see `once`).
    _memo: dict[str, Any] = field(default_factory=dict)
    _server: uvicorn.Server | None = None
    _server_task: asyncio.Task[None] | None = None
    _worker: Worker | None = None
    _worker_task: asyncio.Task[None] | None = None

    async def start_api(self, *, port: int = 0) -> None:
        """Serves the API on `port` (any free one by default); fails clearly when the server does not come
        up within SERVER_START_TIMEOUT_S or stops before it listens (a bind failure, say)."""
        config = server_config(
            create_app(self.settings, self.services),
            self.settings,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            # Longer than httpx's 5 s pool expiry, so the server never closes an idle connection just as
            # the client reuses it (a ReadError on a busy machine).
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._server_task = asyncio.create_task(_serve(self._server))
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not self._server.started:
            if self._server_task.done():
                # serve() returned or raised before it listened: a bind failure, a failing lifespan.
                failure = None if self._server_task.cancelled() else self._server_task.exception()
                raise RuntimeError(f"the API server stopped before it started listening: {failure!r}")
            if time.monotonic() > deadline:
                self._server.should_exit = True
                raise TimeoutError(f"the API server did not start within {SERVER_START_TIMEOUT_S} s")
            await asyncio.sleep(0.02)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop_api(self) -> None:
        """Stops serving, as a restart would (clients must reconnect); the services and worker stay up."""
        if self._server is not None:
            self._server.should_exit = True
            assert self._server_task is not None
            await self._server_task
            self._server = None

    def start_worker(self) -> None:
        self._worker = build_worker(self.client, self.services, task_queue=self.settings.task_queue)
        self._worker_task = asyncio.create_task(self._worker.run())

    async def stop_worker(self) -> None:
        if self._worker is not None:
            await self._worker.shutdown()
            assert self._worker_task is not None
            await asyncio.gather(self._worker_task, return_exceptions=True)
            self._worker = None

    async def close(self) -> None:
        await self.stop_worker()
        if self._server is not None:
            self._server.should_exit = True
            assert self._server_task is not None
            await self._server_task
        await self.http.aclose()
        await self.services.close()

    async def company(
        self,
        name: str = "Acme",
        *,
        policy: CorrelationPolicy | None = None,
        critical_assets: list[str] | None = None,
    ) -> TenantCreds:
        async with self.services.sessions() as session, session.begin():
            issued = await create_company(
                session,
                self.services.secrets,
                f"{name} {uuid.uuid4().hex[:6]}",
                policy=policy,
                critical_assets=critical_assets,
            )
        return TenantCreds(issued.id, issued.api_key, issued.hmac_secret)

    async def user(
        self, role: Role, company_ids: list[str], password: str = "correct horse battery"
    ) -> dict[str, str]:
        email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.com"
        async with self.services.sessions() as session, session.begin():
            await create_user(
                session,
                self.services.passwords,
                email=email,
                password=password,
                role=role,
                company_ids=company_ids,
            )
        response = await self.http.post(
            f"{self.url}/api/auth/login", json={"email": email, "password": password}
        )
        response.raise_for_status()
        tokens = response.json()
        return {
            "email": email,
            "password": password,
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "id": tokens["user"]["id"],
        }

    async def post_alert(
        self,
        creds: TenantCreds,
        body: dict[str, Any] | bytes,
        *,
        delivery_id: str | None = None,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
    ) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        # A delivery id given in `headers` is the one sent, so it is the one a v2= signature covers.
        delivery_id = next(
            (v for k, v in (headers or {}).items() if k.lower() == "x-delivery-id"), delivery_id
        )
        sent = signed_headers(creds, raw, delivery_id=delivery_id, timestamp=timestamp)
        sent.update(headers or {})
        return await self.http.post(f"{self.url}/api/webhooks/alerts", content=raw, headers=sent)

    async def once(self, key: str, build: Callable[[], Awaitable[T]]) -> T:
        """`build()`'s value, built on the first call for `key` and kept as long as this stack lives. (A
        module-level cache keyed by `id(stack)` hands a later stack at a reused address the old one's.)"""
        if key not in self._memo:
            self._memo[key] = await build()
        return cast(T, self._memo[key])

    async def settled(
        self, answer: httpx.Response | dict[str, Any], *, timeout: float = 60
    ) -> dict[str, Any]:
        """One accepted alert's answer, with the `incident_id` and `disposition` it got: at once from a 200,
        or for a 202 `queued` (the webhook's answer timeout ran out first, likely on a busy machine) or a
        duplicate of a delivery not routed yet, once the worker has routed it, which is what the webhook
        promises. `answer` is a response carrying one alert, or one alert's answer from a response."""
        body = accepted(answer) if isinstance(answer, httpx.Response) else answer
        if "alerts" in body:
            (body,) = body["alerts"]
        if body.get("incident_id") or body.get("disposition") or body.get("suppressed"):
            return body
        assert body.get("queued") or body.get("duplicate"), f"accepted, but not routed nor queued: {body!r}"
        alert_id = body["alert_id"]

        async def routed() -> tuple[str | None, str | None]:
            async with self.services.sessions() as session:
                rows = await session.execute(
                    select(Alert.incident_id, Alert.disposition).where(Alert.id == alert_id)
                )
                row = rows.one_or_none()
                return (row[0], row[1]) if row else (None, None)

        incident_id, disposition = await eventually(routed, lambda r: any(r), timeout=timeout)
        return {**body, "incident_id": incident_id, "disposition": disposition}

    async def incident_of(self, answer: httpx.Response | dict[str, Any], *, timeout: float = 60) -> str:
        """The incident an accepted alert is in, waiting for it when the answer was 202 `queued`."""
        body = await self.settled(answer, timeout=timeout)
        assert body["incident_id"], f"accepted into no incident: {body!r}"
        return str(body["incident_id"])

    async def incidents(self, company_id: str) -> list[Incident]:
        async with self.services.sessions() as session:
            rows = await session.execute(select(Incident).where(Incident.company_id == company_id))
            return list(rows.scalars())

    async def alerts(self, company_id: str) -> list[Alert]:
        async with self.services.sessions() as session:
            rows = await session.execute(select(Alert).where(Alert.company_id == company_id))
            return list(rows.scalars())

    async def count_rows(self, table: str, company_id: str) -> int:
        async with self.services.sessions() as session:
            result = await session.execute(
                text(f"SELECT count(*) FROM {table} WHERE company_id = :c"),
                {"c": company_id},
            )
            return int(result.scalar_one())


def accepted(response: httpx.Response) -> dict[str, Any]:
    """The answer of accepted alerts: a 200, or a 202 when some alert's incident was not known within the
    webhook's answer timeout (which a busy machine makes likely), or is a retried delivery of an alert not
    routed yet; those say `queued`. `Stack.incident_of` waits for it."""
    assert response.status_code in (200, 202), response.text
    body: dict[str, Any] = response.json()
    if response.status_code == 202:
        assert body.get("queued") is True or any(a["queued"] for a in body.get("alerts", [])), body
    return body


async def _serve(server: uvicorn.Server) -> None:
    try:
        await server.serve()
    except SystemExit as exited:
        # uvicorn exits the process when it cannot bind; in a task that would stop the whole test run.
        raise RuntimeError(f"uvicorn exited with status {exited.code} (see its log above)") from None


async def eventually(
    probe: Callable[[], Awaitable[T]],
    check: Callable[[T], bool],
    *,
    timeout: float = 30,
    interval: float = 0.1,
) -> T:
    """Polls `probe` until `check` holds; fails with the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {timeout} s; last value: {value!r}")
        await asyncio.sleep(interval)


def make_stack(settings: Settings, client: Client, *, eager_start: bool = True) -> Stack:
    return Stack(
        settings=settings, services=build_services(settings, client, eager_start=eager_start), client=client
    )
