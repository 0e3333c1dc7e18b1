"""CPU the load generator's HTTP client spends per request, measured against a do-nothing ASGI app.

    .venv/bin/python bench/client_cost.py [--requests 3000] [--concurrency 20 200] [--client aiohttp httpx]

The app runs under uvicorn in a child process, so only the client's own CPU (this process, all threads)
is counted. The requests look like the benchmark's: a signed-webhook-sized JSON POST with its headers.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from http_clients import CLIENTS, Poster

from worker.ports import free_port

BODY = b'{"asset_name": "bench-0000-000000", "signature": "disk_space_critical", "severity": "low", ' + (
    b'"message": "benchmark alert for key 0", "tool_source": "datadog"}'
)
HEADERS = {
    "Content-Type": "application/json",
    "X-API-Key": "k" * 40,
    "X-Timestamp": "1700000000",
    "X-Signature": "s" * 64,
    "X-Delivery-ID": "d" * 32,
}
WARM_UP = 200


async def do_nothing(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Reads the body and answers 202 with a small JSON body, like the webhook does."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    answer = b'{"status": "queued"}'
    await send(
        {
            "type": "http.response.start",
            "status": 202,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(answer))],
        }
    )
    await send({"type": "http.response.body", "body": answer})


async def start_app(port: int) -> asyncio.subprocess.Process:
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        "client_cost:do_nothing",
        "--port",
        str(port),
        "--log-level",
        "warning",
        cwd=Path(__file__).parent,
    )
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return server
    server.kill()
    raise RuntimeError("the do-nothing app did not start")


async def send(poster: Poster, requests: int, concurrency: int) -> None:
    left = iter(range(requests))

    async def sender() -> None:
        for _ in left:
            status, _ = await poster.post("/api/webhooks/alerts", BODY, HEADERS)
            assert status == 202, status

    await asyncio.gather(*(sender() for _ in range(concurrency)))


async def cost(url: str, client: str, requests: int, concurrency: int) -> tuple[float, float]:
    """(ms of CPU per request, requests per second) over `requests` after a warm-up."""
    poster = CLIENTS[client](url, concurrency)
    try:
        await send(poster, WARM_UP, concurrency)  # connections open, code paths warm
        cpu, wall = time.process_time(), time.perf_counter()
        await send(poster, requests, concurrency)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await poster.aclose()
    return 1000 * cpu / requests, requests / wall


async def main(args: argparse.Namespace) -> None:
    port = free_port()
    server = await start_app(port)
    try:
        for concurrency in args.concurrency:
            for client in args.client:
                ms, rate = await cost(f"http://127.0.0.1:{port}", client, args.requests, concurrency)
                print(f"{client:8} concurrency {concurrency:4}: {ms:.3f} ms CPU per request ({rate:.0f}/s)")
    finally:
        server.terminate()
        await server.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[20, 200])
    parser.add_argument("--client", nargs="+", choices=sorted(CLIENTS), default=sorted(CLIENTS))
    asyncio.run(main(parser.parse_args()))
