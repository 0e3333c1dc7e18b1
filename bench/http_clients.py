"""Two ways to POST webhooks: httpx, and a lean HTTP/1.1 keep-alive client for when httpx's CPU would skew.

Measured on the 2-core box against a do-nothing ASGI app: httpx 0.28 spends about 3 ms of CPU per request
at 20-50 connections and about 11 ms at 200, which on two cores shared with Temporal and the API makes the
load generator the bottleneck of a storm. The lean client spends about 0.05 ms.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlsplit

import httpx

TIMEOUT_S = 60.0


class TransportError(Exception):
    """The request got no HTTP answer (refused, reset, timed out)."""


class StaleConnection(TransportError):
    """A kept-alive connection the server had closed: no byte of an answer came back."""


class Poster(Protocol):
    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]: ...

    async def aclose(self) -> None: ...


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


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class LeanPoster:
    """At most `connections` keep-alive HTTP/1.1 connections to one host; enough HTTP for this API."""

    def __init__(self, base_url: str, connections: int) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http":
            raise ValueError("the lean client speaks plain http only; use --client httpx for https")
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._prefix = parts.path.rstrip("/")
        self._slots = asyncio.Semaphore(connections)
        self._idle: list[Connection] = []

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        async with self._slots:
            if self._idle:
                try:
                    return await self._post_on(self._idle.pop(), path, body, headers)
                except StaleConnection:
                    pass  # the server closed it while idle; the delivery id makes a resend safe
            return await self._post_on(await self._connect(), path, body, headers)

    async def _post_on(
        self, connection: Connection, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        try:
            status, answer, keep = await asyncio.wait_for(
                self._exchange(connection, path, body, headers), TIMEOUT_S
            )
        except asyncio.IncompleteReadError as err:
            connection[1].close()
            if not err.partial:
                raise StaleConnection("closed before answering") from err
            raise TransportError(f"connection closed mid-answer: {err}") from err
        except ConnectionError as err:
            connection[1].close()
            raise StaleConnection(f"{type(err).__name__}: {err}") from err
        except (OSError, asyncio.LimitOverrunError, TimeoutError, ValueError) as err:
            connection[1].close()
            raise TransportError(f"{type(err).__name__}: {err}") from err
        if keep:
            self._idle.append(connection)
        else:
            connection[1].close()
        return status, answer

    async def _connect(self) -> Connection:
        try:
            return await asyncio.open_connection(self._host, self._port)
        except OSError as err:
            raise TransportError(f"connect: {err}") from err

    async def _exchange(
        self, connection: Connection, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes, bool]:
        reader, writer = connection
        lines = [
            f"POST {self._prefix}{path} HTTP/1.1",
            f"Host: {self._host}:{self._port}",
            f"Content-Length: {len(body)}",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        fields = dict(_field(line) for line in header_lines if ":" in line)
        answer = await _read_body(reader, fields)
        keep = fields.get("connection", "").lower() != "close" and "content-length" in fields
        return int(status_line.split()[1]), answer, keep

    async def aclose(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


def _field(line: str) -> tuple[str, str]:
    name, _, value = line.partition(":")
    return name.strip().lower(), value.strip()


async def _read_body(reader: asyncio.StreamReader, fields: dict[str, str]) -> bytes:
    if "content-length" in fields:
        return await reader.readexactly(int(fields["content-length"]))
    if fields.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")  # no trailers from this API
        return b"".join(chunks)
    return await reader.read()  # until the server closes


CLIENTS: dict[str, Callable[[str, int], Poster]] = {"lean": LeanPoster, "httpx": HttpxPoster}
