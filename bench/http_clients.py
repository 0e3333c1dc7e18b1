"""Two ways to POST webhooks: aiohttp (the default) and httpx.

The client shares two cores with Temporal and the API, so its CPU per request decides whether the load
generator becomes the bottleneck of a storm. Measured with bench/client_cost.py (a do-nothing ASGI app
under uvicorn in another process; aiohttp 3.14, httpx 0.28, 2-core box, 3000-5000 requests):

    ms CPU per request    concurrency 20    concurrency 200
    aiohttp               0.10-0.12         0.13-0.15
    httpx                 1.8-2.0           3.7-4.1

aiohttp leaves the load generator at a few % of a core; the hand-written client it replaced saved a further
~0.06 ms per request, not worth owning an HTTP implementation for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import aiohttp
import httpx

TIMEOUT_S = 60.0
# Below uvicorn's 5 s keep-alive, so an idle connection is dropped here before the server closes it
# under a request (aiohttp does not resend a POST).
IDLE_S = 4.0


class TransportError(Exception):
    """The request got no HTTP answer (refused, reset, timed out)."""


class Poster(Protocol):
    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]: ...

    async def aclose(self) -> None: ...


class AiohttpPoster:
    """At most `connections` keep-alive connections; create it inside the event loop that uses it."""

    def __init__(self, base_url: str, connections: int) -> None:
        self._base_url = base_url.rstrip("/")
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=IDLE_S),
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
        )

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        try:
            async with self._session.post(self._base_url + path, data=body, headers=headers) as response:
                return response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise TransportError(f"{type(err).__name__}: {err}") from err

    async def aclose(self) -> None:
        await self._session.close()


class HttpxPoster:
    def __init__(self, base_url: str, connections: int) -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self._client = httpx.AsyncClient(
            base_url=base_url, limits=limits, timeout=httpx.Timeout(TIMEOUT_S, pool=None)
        )

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        try:
            response = await self._client.post(path, content=body, headers=headers)
        except httpx.HTTPError as err:
            raise TransportError(f"{type(err).__name__}: {err}") from err
        return response.status_code, response.content

    async def aclose(self) -> None:
        await self._client.aclose()


CLIENTS: dict[str, Callable[[str, int], Poster]] = {"aiohttp": AiohttpPoster, "httpx": HttpxPoster}
