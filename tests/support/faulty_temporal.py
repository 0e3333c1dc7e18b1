"""A real Temporal client whose gRPC calls can be made to fail or hang, at the network edge only.

Our code runs unchanged over it; what changes is what the server seems to answer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode


def rpc_error(status: RPCStatusCode) -> RPCError:
    return RPCError(f"injected {status.name}", status, b"")


@dataclass
class Fault:
    """The next `times` calls of one RPC raise `status` (or hang, with status None); then it answers."""

    times: int
    status: RPCStatusCode | None
    seen: int = 0
    hanging: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def heal(self) -> None:
        """From now on the RPC answers; a call left hanging goes on to the server."""
        self.times = 0
        self.released.set()


class FaultyClient:
    def __init__(self, client: Client) -> None:
        self.client = client
        self.faults: dict[str, Fault] = {}

    def fail(self, rpc: str, status: RPCStatusCode, times: int) -> Fault:
        fault = self.faults[rpc] = Fault(times, status)
        return fault

    def hang(self, rpc: str) -> Fault:
        fault = self.faults[rpc] = Fault(1_000_000, None)
        return fault

    def _wrap(self, rpc: str, real: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            fault = self.faults.get(rpc)
            if fault is not None and fault.seen < fault.times:
                fault.seen += 1
                if fault.status is None:
                    fault.hanging.set()
                    await fault.released.wait()
                else:
                    raise rpc_error(fault.status)
            return await real(*args, **kwargs)

        return call


async def faulty_client(like: Client) -> FaultyClient:
    """A client of its own (not the shared one), to the same server and namespace as `like`."""
    client = await Client.connect(
        like.service_client.config.target_host,
        namespace=like.namespace,
        data_converter=pydantic_data_converter,
    )
    faulty = FaultyClient(client)
    service = client.workflow_service
    for rpc in ("start_workflow_execution", "signal_workflow_execution", "update_workflow_execution"):
        setattr(service, rpc, faulty._wrap(rpc, getattr(service, rpc)))
    return faulty
