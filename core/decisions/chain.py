"""Providers tried in AW_AGENT_PROVIDER order until one gives a valid answer; `rules` always decides last.

A provider falls through on an error, a timeout (AW_MAX_DECISION_SECONDS), a token budget overrun (per
decision, AW_MAX_TOKENS_PER_DECISION, or the company's daily budget) or an invalid answer. Each reason is
kept in Decision.fallbacks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.decisions.budget import DailyBudget
from core.decisions.context import DecisionContext
from core.decisions.providers.base import LlmProvider, ProviderError, ReasoningSink
from core.decisions.providers.prompt import build_prompt
from core.decisions.providers.rules import NAME as RULES
from core.decisions.validation import Proposal, validated
from core.settings import Settings

log = logging.getLogger(__name__)

MAX_REASON_CHARS = 300
# The answer is one short tool call; the rest of the per-decision cap is for the prompt.
MAX_OUTPUT_TOKENS = 1024

ProviderLookup = Callable[[str], Awaitable[LlmProvider | None]]


@dataclass
class ChainResult:
    """The first valid LLM proposal, or None: the rules decide."""

    proposal: Proposal | None = None
    provider: str = RULES
    tokens_used: int = 0
    fallbacks: list[str] = field(default_factory=list)


FallbackSink = Callable[[str], Awaitable[None]]


def llm_names(configured: Sequence[str]) -> list[str]:
    """The LLM providers to try, in order: those listed before `rules` (nothing after it is ever asked)."""
    names = []
    for name in configured:
        if name == RULES:
            break
        if name not in names:
            names.append(name)
    return names


async def ask_providers(
    names: Sequence[str],
    provider_for: ProviderLookup,
    ctx: DecisionContext,
    settings: Settings,
    budget: DailyBudget,
    *,
    on_reasoning: ReasoningSink | None = None,
    on_fallback: FallbackSink | None = None,
) -> ChainResult:
    result = ChainResult()

    async def fall_through(name: str, reason: str) -> None:
        line = f"{name}: {reason}"[:MAX_REASON_CHARS]
        log.info("decision for %s: %s", ctx.incident.incident_id, line)
        result.fallbacks.append(line)
        if on_fallback is not None:
            await on_fallback(line)

    prompt = build_prompt(ctx) if names else None
    for name in names:
        provider = await provider_for(name)
        if provider is None:
            await fall_through(name, "unknown provider")
            continue
        unavailable = provider.unavailable_reason()
        if unavailable:
            await fall_through(name, f"unavailable ({unavailable})")
            continue
        if await budget.spent(datetime.now(UTC)) >= budget.tokens_per_day:
            await fall_through(name, f"the company's daily budget of {budget.tokens_per_day} tokens is spent")
            continue
        assert prompt is not None
        tokens, tool_input, reason = 0, None, None
        try:
            answer = await asyncio.wait_for(
                provider.answer(
                    prompt, min(MAX_OUTPUT_TOKENS, settings.max_tokens_per_decision), on_reasoning
                ),
                settings.max_decision_seconds,
            )
            tokens, tool_input = answer.tokens_used, answer.tool_input
        except TimeoutError:
            reason = f"no answer within {settings.max_decision_seconds:g} s"
        except ProviderError as err:
            tokens, reason = err.tokens_used, str(err)
        except Exception as err:  # an SDK's own errors: HTTP status, connection, parsing
            reason = f"{type(err).__name__}: {err}"
        result.tokens_used += tokens
        spent_today = await budget.charge(tokens, datetime.now(UTC)) if tokens else 0
        if reason is not None:
            await fall_through(name, reason)
            continue
        if tokens > settings.max_tokens_per_decision:
            cap = settings.max_tokens_per_decision
            await fall_through(name, f"used {tokens} tokens, over the per-decision cap of {cap}")
            continue
        if spent_today > budget.tokens_per_day:
            daily = budget.tokens_per_day
            await fall_through(name, f"this answer overran the company's daily budget of {daily} tokens")
            continue
        try:
            result.proposal = validated(tool_input, {r.id for r in ctx.allowed})
        except ProviderError as err:
            await fall_through(name, f"invalid answer: {err}")
            continue
        result.provider = name
        return result
    return result
