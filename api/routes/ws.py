"""WebSocket /ws: the caller's incident events, live, with resume from the outbox.

Protocol (JSON text frames):
- client first: {"type": "auth", "token": "<access token>"} (never in the URL, which logs keep);
  server: {"type": "ready", "last_event_id": n}. A bad token, or none within ws_auth_timeout_s, closes 4401.
- {"type": "subscribe", "company_ids": [...] | null, "incident_id": ... | null}: narrow to some of the
  caller's companies (every company for the MSP) and/or one incident; server: {"type": "subscribed"}.
- {"type": "resume", "after": <event id>}: replays the outbox above that id, then continues live; ids
  never repeat or skip across the switch. Server: {"type": "resumed", "through": n} once replayed.
- events: {"type": "event", "event": {id, type, company_id, incident_id, at, data}}, ids increasing.
- a client too far behind gets {"type": "resume", "after": <last id sent>} and close 4429; it should
  reconnect and resume from there (and drop ids it has already seen).
- the access token's expiry closes 4401 when it comes; a revoked session (sign-out) within about a second.
- liveness: uvicorn's WebSocket pings (ws_ping_interval / ws_ping_timeout) close dead connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ValidationError

from api.deps import Principal, principal_for_token
from api.permissions import Permission, has_permission
from core.events.hub import EventFilter, EventHub, Subscription
from core.events.outbox import events_after
from core.events.types import EventPublic
from core.runtime import Services

log = logging.getLogger(__name__)
router = APIRouter(tags=["events"])

UNAUTHORIZED = 4401
FORBIDDEN = 4403
BAD_MESSAGE = 4400
TOO_FAR_BEHIND = 4429
REPLAY_PAGE = 500


class Scope(BaseModel):
    company_ids: list[str] | None = None
    incident_id: str | None = None


@router.websocket("/ws")
async def events_socket(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    await websocket.accept()
    try:
        first = await asyncio.wait_for(websocket.receive_json(), timeout=services.settings.ws_auth_timeout_s)
    except (TimeoutError, ValueError, WebSocketDisconnect):
        await _close(websocket, UNAUTHORIZED, "authenticate first: {type: auth, token}")
        return
    token = first.get("token") if isinstance(first, dict) and first.get("type") == "auth" else None
    if not isinstance(token, str):
        await _close(websocket, UNAUTHORIZED, "authenticate first: {type: auth, token}")
        return
    try:
        async with services.sessions() as session:
            principal, claims = await principal_for_token(services, session, token)
    except HTTPException as err:
        await _close(websocket, UNAUTHORIZED, str(err.detail))
        return
    if not has_permission(principal, Permission.incidents_read):
        await _close(websocket, FORBIDDEN, f"your role ({principal.role.value}) lacks incidents:read")
        return
    await Connection(websocket, services.events, principal, services).serve(claims.expires_at)


class Connection:
    def __init__(self, websocket: WebSocket, hub: EventHub, principal: Principal, services: Services) -> None:
        self.ws = websocket
        self.hub = hub
        self.principal = principal
        self.services = services
        self.scope = Scope()
        self.cursor = 0  # the last event id this client has been sent (or had no right to see)

    async def serve(self, expires_at: datetime) -> None:
        sub = await self.hub.subscribe(
            self._filter(self.scope),
            session_id=self.principal.session_id,
            maxsize=self.services.settings.ws_queue_size,
        )
        self.cursor = self.hub.last_id
        sender = asyncio.create_task(self._send_loop(sub))
        receiver = asyncio.create_task(self._receive_loop(sub))
        overflowed = asyncio.create_task(sub.overflowed.wait())
        revoked = asyncio.create_task(sub.revoked.wait())
        expiry = asyncio.create_task(asyncio.sleep((expires_at - datetime.now(UTC)).total_seconds()))
        tasks = {sender, receiver, overflowed, revoked, expiry}
        try:
            await self._send({"type": "ready", "last_event_id": self.cursor})
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.hub.unsubscribe(sub)
        if overflowed in done:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._send({"type": "resume", "after": self.cursor}), timeout=1)
            await _close(self.ws, TOO_FAR_BEHIND, "too far behind; resume")
        elif revoked in done:
            await _close(self.ws, UNAUTHORIZED, "session is signed out")
        elif expiry in done:
            await _close(self.ws, UNAUTHORIZED, "access token expired")
        elif sender in done or receiver in done:
            failure = next(t for t in (sender, receiver) if t in done)
            error = None if failure.cancelled() else failure.exception()
            if isinstance(error, BadMessage):
                await _close(self.ws, BAD_MESSAGE, str(error))
            elif error is not None and not isinstance(error, WebSocketDisconnect):
                log.warning("WebSocket connection ended by %r", error)
                await _close(self.ws, 1011, "server error")

    async def _receive_loop(self, sub: Subscription) -> None:
        while True:
            message = await self.ws.receive_json()
            if not isinstance(message, dict) or message.get("type") not in ("subscribe", "resume"):
                raise BadMessage("expected {type: subscribe} or {type: resume}")
            # Through the subscription's queue: the sender handles it in order with the events.
            sub.offer(message)

    async def _send_loop(self, sub: Subscription) -> None:
        while True:
            item = await sub.queue.get()
            if isinstance(item, EventPublic):
                if item.id > self.cursor and sub.accepts(item):
                    await self._send_event(item)
            elif item["type"] == "subscribe":
                await self._subscribe(sub, item)
            else:
                await self._resume(sub, item)

    async def _subscribe(self, sub: Subscription, message: dict[str, Any]) -> None:
        try:
            scope = Scope.model_validate({k: v for k, v in message.items() if k != "type"})
        except ValidationError as err:
            raise BadMessage(f"subscribe: {err.errors()[0]['msg']}") from None
        if scope.company_ids is not None:
            unseen = [c for c in scope.company_ids if not self.principal.actor.can_see_company(c)]
            if unseen:
                await self._send({"type": "error", "detail": f"no company {unseen[0]}"})
                return
        self.scope = scope
        # From the last id offered under the old scope on, the new one applies: no gap, no repeat.
        self.cursor = max(self.cursor, self.hub.refilter(sub, self._filter(scope)))
        await self._send({"type": "subscribed", **scope.model_dump()})

    async def _resume(self, sub: Subscription, message: dict[str, Any]) -> None:
        after = message.get("after")
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise BadMessage("resume: `after` must be an event id")
        # Events above `through` reach the queue; the outbox has every one up to it.
        through = self.hub.refilter(sub, sub.accepts)
        cursor = after
        while cursor < through:
            async with self.services.sessions() as session:
                page = await events_after(
                    session,
                    cursor,
                    company_ids=self._company_ids(self.scope),
                    incident_id=self.scope.incident_id,
                    limit=REPLAY_PAGE,
                )
            page = [e for e in page if e.id <= through]
            for event in page:
                await self._send_event(event)
            if len(page) < REPLAY_PAGE:
                break
            cursor = page[-1].id
        self.cursor = max(self.cursor, through)
        await self._send({"type": "resumed", "through": through})

    def _company_ids(self, scope: Scope) -> list[str] | None:
        if scope.company_ids is not None:
            return scope.company_ids
        return None if self.principal.sees_every_company else sorted(self.principal.company_ids)

    def _filter(self, scope: Scope) -> EventFilter:
        companies = self._company_ids(scope)
        allowed = None if companies is None else frozenset(companies)
        incident_id = scope.incident_id

        def accepts(event: EventPublic) -> bool:
            return (allowed is None or event.company_id in allowed) and (
                incident_id is None or event.incident_id == incident_id
            )

        return accepts

    async def _send_event(self, event: EventPublic) -> None:
        await self.ws.send_text(event.as_message())
        self.cursor = event.id

    async def _send(self, message: dict[str, Any]) -> None:
        await self.ws.send_json(message)


class BadMessage(Exception):
    pass


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    # A client that reads nothing may never take the close frame; uvicorn drops the connection after.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(websocket.close(code=code, reason=reason[:120]), timeout=1)
