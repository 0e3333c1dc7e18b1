"""The decision activity: one decision per call, made by core/decisions with this worker's providers.

It raises only for database trouble (Temporal retries it); a broken, slow or over-budget LLM falls
through to the rules inside the call, so the workflow never waits on a provider.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from core.decisions.engine import DecisionEngine
from core.settings import Settings
from workflows.remediation.types import DecisionOutcome, DecisionRequest
from workflows.types import IncidentState


class Decider:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        engine: DecisionEngine | None = None,
    ) -> None:
        """`engine`: one already built for this process (core/runtime.py), so its SDK clients are shared."""
        self._engine = engine or DecisionEngine(session_factory, settings)

    @activity.defn(name="decide_incident")
    async def decide(self, req: DecisionRequest) -> DecisionOutcome:
        incident = IncidentState.model_validate(req.incident)
        return await self._engine.decide(incident, dry_run=req.dry_run)
