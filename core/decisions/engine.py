"""`decide`: one decision for one incident, never stored here (the incident workflow stores it with its
projection; a dry run stores nothing but the LLM tokens it spent)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.decisions.budget import DailyBudget
from core.decisions.chain import FallbackSink, ask_providers, llm_names
from core.decisions.context import DecisionContext, gather
from core.decisions.outcome import decide_outcome
from core.decisions.providers.base import ReasoningSink
from core.decisions.providers.registry import Providers
from core.decisions.providers.rules import NAME as RULES
from core.decisions.providers.rules import rules_proposal
from core.settings import Settings
from workflows.remediation.types import DecisionOutcome
from workflows.types import IncidentState, Severity


def rules_suffice(ctx: DecisionContext) -> bool:
    """No LLM is asked when there is nothing to choose (no allowed runbook) or when a low-severity
    incident has a known fix: that costs nothing and is the same answer every time."""
    return not ctx.allowed or ctx.incident.severity == Severity.low


async def decide(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    incident: IncidentState,
    dry_run: bool,
    *,
    providers: Providers | None = None,
    on_reasoning: ReasoningSink | None = None,
    on_fallback: FallbackSink | None = None,
) -> DecisionOutcome:
    """Raises only for database trouble; a broken, slow or over-budget provider falls through to the rules.

    `dry_run` changes nothing here (nothing is stored either way); callers pass it for the logs' sake.
    """
    started = time.monotonic()
    async with session_factory() as session:
        ctx = await gather(session, incident, datetime.now(UTC))
    own_providers = providers is None
    providers = providers or Providers(settings)
    try:
        names = [] if rules_suffice(ctx) else llm_names(settings.agent_provider)
        budget = DailyBudget(session_factory, incident.company_id, ctx.policy.daily_token_budget)
        chain = await ask_providers(
            names, providers.get, ctx, settings, budget, on_reasoning=on_reasoning, on_fallback=on_fallback
        )
    finally:
        if own_providers:
            await providers.aclose()
    proposal = chain.proposal or rules_proposal(ctx)
    outcome = decide_outcome(
        ctx,
        proposal,
        provider=chain.provider if chain.proposal is not None else RULES,
        tokens_used=chain.tokens_used,
        duration_ms=int((time.monotonic() - started) * 1000),
        fallbacks=chain.fallbacks,
        now=datetime.now(UTC),
    )
    if on_reasoning is not None and chain.proposal is None:  # an LLM streamed its own as it wrote it
        await on_reasoning(outcome.decision.reasoning)
    return outcome


class DecisionEngine:
    """Decisions with this process's provider clients, built once and shared by every decision."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._sessions = session_factory
        self._settings = settings
        self.providers = Providers(settings)

    async def decide(
        self,
        incident: IncidentState,
        *,
        dry_run: bool = False,
        on_reasoning: Callable[[str], Awaitable[None]] | None = None,
        on_fallback: Callable[[str], Awaitable[None]] | None = None,
    ) -> DecisionOutcome:
        return await decide(
            self._sessions,
            self._settings,
            incident,
            dry_run,
            providers=self.providers,
            on_reasoning=on_reasoning,
            on_fallback=on_fallback,
        )

    async def available(self) -> dict[str, bool]:
        return await self.providers.available()

    async def aclose(self) -> None:
        await self.providers.aclose()
