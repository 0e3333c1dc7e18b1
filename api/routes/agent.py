"""The decision agent: liveness with provider availability, and dry-run decisions (optionally streamed)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import select
from sse_starlette import EventSourceResponse

from api.deps import ServicesDep, SessionDep
from api.fields import NoNul
from api.permissions import CanReadIncidents, public
from api.tenancy import scoped
from core.db.models import Incident
from core.decisions.engine import DecisionEngine
from core.decisions.projection import incident_state
from workflows.remediation.types import DecisionOutcome
from workflows.types import IncidentState

router = APIRouter(prefix="/api/agent", tags=["agent"])
log = logging.getLogger(__name__)


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
    provider: str = Field(description="the first provider of AW_AGENT_PROVIDER: asked first")
    providers_available: dict[str, bool]
    ready_for_agentcore: bool = Field(description="the API answers and its first provider can be asked")


@router.get("/ping", response_model=Ping)
@public
async def ping(services: ServicesDep) -> Ping:
    settings = services.settings
    available = await services.decisions.available()
    provider = (settings.agent_provider or ["rules"])[0]
    return Ping(
        status="ok",
        uptime_s=int(time.monotonic() - services.started_at),
        version=_version(),
        temporal_namespace=settings.temporal_namespace,
        task_queue=settings.task_queue,
        provider=provider,
        providers_available=available,
        ready_for_agentcore=available.get(provider, False),
    )


class DecideRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_id: Annotated[str, Field(min_length=1, max_length=120), NoNul]
    stream: bool = Field(False, description="answer with Server-Sent Events: reasoning, then the decision")


@router.post(
    "/decide",
    response_model=DecisionOutcome,
    responses={200: {"content": {"text/event-stream": {}}, "description": "the decision, or its events"}},
)
async def decide(
    body: DecideRequest, principal: CanReadIncidents, session: SessionDep, services: ServicesDep
) -> Any:
    """A decision for the incident without acting on it (a dry run: nothing is stored but LLM usage).

    With `stream: true`: events `reasoning` ({"text"}), `fallback` ({"reason"}) and finally `decision`
    (the DecisionOutcome), or `error`.
    """
    row = (
        await session.execute(
            scoped(select(Incident), Incident.company_id, principal).where(Incident.id == body.incident_id)
        )
    ).scalar_one_or_none()
    if row is None:
        raise HTTPException(404, f"no incident {body.incident_id}")
    state = await incident_state(session, row)
    await session.close()  # nothing more to read here; a decision may take seconds
    if body.stream:
        return EventSourceResponse(_decision_events(services.decisions, state))
    return await services.decisions.decide(state, dry_run=True)


async def _decision_events(engine: DecisionEngine, state: IncidentState) -> AsyncIterator[dict[str, str]]:
    queue: asyncio.Queue[dict[str, str] | None] = asyncio.Queue()

    async def on_reasoning(text: str) -> None:
        await queue.put({"event": "reasoning", "data": json.dumps({"text": text})})

    async def on_fallback(reason: str) -> None:
        await queue.put({"event": "fallback", "data": json.dumps({"reason": reason})})

    async def run() -> None:
        try:
            outcome = await engine.decide(
                state, dry_run=True, on_reasoning=on_reasoning, on_fallback=on_fallback
            )
            await queue.put({"event": "decision", "data": outcome.model_dump_json()})
        except Exception:
            log.exception("dry-run decision for %s failed", state.incident_id)
            await queue.put({"event": "error", "data": json.dumps({"detail": "the decision failed"})})
        finally:
            await queue.put(None)

    task = asyncio.create_task(run())
    try:
        while (event := await queue.get()) is not None:
            yield event
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
