"""The HTTP server around the app: uvicorn with deadlines, so that slow or idle clients cannot hold
connections open. Production still runs behind a reverse proxy (docs/deployment.md); these are the
API's own limits for whatever reaches it directly."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from core.settings import Settings

_REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn has a keep-alive timeout but no header-read timeout: a client that opens a connection and
    sends a request line byte by byte (or nothing at all) would hold it for ever. This gives every
    request `header_timeout_s` from the connection (or its first byte, on a kept-alive connection) to the
    end of its headers."""

    header_timeout_s = 10.0
    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_deadline()

    def on_headers_complete(self) -> None:
        self._disarm_header_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_timeout_s, self._header_deadline_passed)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _header_deadline_passed(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined request is still incomplete while the previous one is answered: don't cut into
            # that answer, close once it is sent.
            self.cycle.keep_alive = False
            return
        self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()


def _protocol_with_header_timeout(timeout_s: float) -> type[HeaderDeadlineProtocol]:
    return type("HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), {"header_timeout_s": timeout_s})


def server_config(
    app: FastAPI, settings: Settings, *, host: str, port: int, **options: Any
) -> uvicorn.Config:
    """The uvicorn configuration every API process uses (`alert-whisperer api`, `dev`, tests, bench).
    `options` override the settings (tests keep idle connections longer than their client pool does)."""
    defaults: dict[str, Any] = {
        "http": _protocol_with_header_timeout(settings.api_header_timeout_s),
        "timeout_keep_alive": settings.api_keep_alive_timeout_s,
        "limit_concurrency": settings.api_limit_concurrency,
        # Off: by default uvicorn believes X-Forwarded-For from 127.0.0.1, so any local client could pick
        # the address it is throttled under. The app applies AW_TRUSTED_PROXIES itself (api/app.py).
        "proxy_headers": False,
        # Heartbeats for WebSocket /ws: dead connections are found and closed.
        "ws_ping_interval": settings.ws_ping_interval_s,
        "ws_ping_timeout": settings.ws_ping_timeout_s,
        "ws_per_message_deflate": settings.ws_per_message_deflate,
    }
    return uvicorn.Config(app, host=host, port=port, **(defaults | options))
