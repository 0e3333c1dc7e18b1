"""Liveness for load balancers and agents."""

from __future__ import annotations

import time
from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import ServicesDep
from api.permissions import public

router = APIRouter(prefix="/api/agent", tags=["agent"])


def _version() -> str:
    try:
        return version("alert-whisperer")
    except PackageNotFoundError:
        return "0.0.0"


class Ping(BaseModel):
    status: str
    uptime_s: int
    version: str
    temporal_namespace: str
    task_queue: str
    providers_available: dict[str, bool]


@router.get("/ping", response_model=Ping)
@public
async def ping(services: ServicesDep) -> Ping:
    return Ping(
        status="ok",
        uptime_s=int(time.monotonic() - services.started_at),
        version=_version(),
        temporal_namespace=services.settings.temporal_namespace,
        task_queue=services.settings.task_queue,
        providers_available={"rules": True, "anthropic": False, "bedrock": False},
    )
