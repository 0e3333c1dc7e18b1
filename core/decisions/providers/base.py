"""The one interface every LLM provider implements, and the errors that make the chain fall through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

# Receives the model's reasoning as it streams (a piece at a time).
ReasoningSink = Callable[[str], Awaitable[None]]


class ProviderError(Exception):
    """The provider gave no usable answer; the next provider (finally the rules) decides."""

    def __init__(self, message: str, tokens_used: int = 0) -> None:
        super().__init__(message)
        self.tokens_used = tokens_used


class OutputInvalid(ProviderError):
    """The answer is not a valid use of the decision tool, or it chose something it may not."""


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    input_schema: dict[str, object]


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str
    tool: ToolSpec


@dataclass(frozen=True)
class Answer:
    """The decision tool's input as the model gave it (untrusted until validated) and the tokens spent."""

    tool_input: object
    tokens_used: int


class LlmProvider(Protocol):
    name: str

    def unavailable_reason(self) -> str | None:
        """Why this provider cannot be asked at all (no SDK, no credentials), or None."""

    async def answer(self, prompt: Prompt, max_tokens: int, on_reasoning: ReasoningSink | None) -> Answer:
        """The model's use of the decision tool. Raises (anything) when it cannot give one."""

    async def aclose(self) -> None: ...
