"""Redirects that name no host: Starlette builds a trailing-slash redirect's Location from the request's
Host header, so a forged Host came back in the Location (a poisoned cache or a proxy could send users
elsewhere). The path alone takes the client to the same place on the host it asked."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REDIRECTS = frozenset({301, 302, 303, 307, 308})


def relative(location: str) -> str:
    parts = urlsplit(location)
    # "//host/path" would be read as another host: keep a single leading slash.
    path = "/" + parts.path.lstrip("/")
    return urlunsplit(("", "", path, parts.query, parts.fragment))


def _same_host(location: str, host: str) -> bool:
    netloc = urlsplit(location).netloc
    return bool(netloc) and netloc.lower() == host.lower()


class RelativeRedirects:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)

        async def send_relative(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in REDIRECTS:
                headers = MutableHeaders(scope=message)
                location = headers.get("location")
                # Only our own redirects name the host the request named; others go where they say.
                if location is not None and host is not None and _same_host(location, host):
                    headers["location"] = relative(location)
            await send(message)

        await self.app(scope, receive, send_relative)
