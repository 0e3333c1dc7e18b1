"""The LLM providers of one process, each built once (SDK clients included) on first use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from core.decisions.providers.anthropic import AnthropicProvider
from core.decisions.providers.base import LlmProvider
from core.decisions.providers.bedrock import BedrockProvider
from core.decisions.providers.gemini import GeminiProvider
from core.decisions.providers.rules import NAME as RULES
from core.settings import Settings

BUILDERS: dict[str, Callable[[Settings], LlmProvider]] = {
    AnthropicProvider.name: AnthropicProvider,
    BedrockProvider.name: BedrockProvider,
    GeminiProvider.name: GeminiProvider,
}
KNOWN = (RULES, *BUILDERS)


class Providers:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._built: dict[str, LlmProvider] = {}
        self._lock = asyncio.Lock()

    async def get(self, name: str) -> LlmProvider | None:
        """None for a name no provider has."""
        if name not in BUILDERS:
            return None
        async with self._lock:
            if name not in self._built:
                # Off the event loop: imports and credential lookups may block.
                self._built[name] = await asyncio.to_thread(BUILDERS[name], self._settings)
            return self._built[name]

    async def available(self) -> dict[str, bool]:
        found = {RULES: True}
        for name in BUILDERS:
            provider = await self.get(name)
            found[name] = provider is not None and provider.unavailable_reason() is None
        return found

    async def aclose(self) -> None:
        for provider in self._built.values():
            await provider.aclose()
        self._built.clear()
