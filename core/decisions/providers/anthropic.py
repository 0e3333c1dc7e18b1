"""Claude through the anthropic SDK: structured output by forcing the one decision tool.

The SDK reads its own settings (ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN, ANTHROPIC_BASE_URL); the model
is AW_ANTHROPIC_MODEL. No SDK retries: the chain's next provider is the retry, so nothing waits on a
struggling API.
"""

from __future__ import annotations

from typing import Any

from core.decisions.providers.base import Answer, OutputInvalid, Prompt, ReasoningSink
from core.settings import Settings

NAME = "anthropic"
DEFAULT_BASE_URL = "https://api.anthropic.com"
# A gateway at ANTHROPIC_BASE_URL may need no key; the SDK refuses to send a request without one.
GATEWAY_PLACEHOLDER_KEY = "no-key"


USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def tokens_of(usage: Any) -> int:
    return sum(getattr(usage, name, None) or 0 for name in USAGE_FIELDS)


class AnthropicProvider:
    name = NAME

    def __init__(self, settings: Settings) -> None:
        self._model = settings.anthropic_model
        self._client: Any = None
        self._unavailable: str | None = None
        try:
            import anthropic
        except ImportError:
            self._unavailable = "the anthropic package is not installed"
            return
        options: dict[str, Any] = {"max_retries": 0, "timeout": settings.max_decision_seconds}
        client = anthropic.AsyncAnthropic(**options)
        has_key = bool(client.api_key or client.auth_token)
        custom_url = str(client.base_url).rstrip("/") != DEFAULT_BASE_URL
        if not has_key and not custom_url:
            self._unavailable = "neither ANTHROPIC_API_KEY nor ANTHROPIC_BASE_URL is set"
        elif not has_key:
            client = anthropic.AsyncAnthropic(api_key=GATEWAY_PLACEHOLDER_KEY, **options)
        self._client = client

    def unavailable_reason(self) -> str | None:
        return self._unavailable

    async def answer(self, prompt: Prompt, max_tokens: int, on_reasoning: ReasoningSink | None) -> Answer:
        request: dict[str, Any] = {
            "model": self._model,
            "max_tokens": max_tokens,
            "system": prompt.system,
            "messages": [{"role": "user", "content": prompt.user}],
            "tools": [
                {
                    "name": prompt.tool.name,
                    "description": prompt.tool.description,
                    "input_schema": prompt.tool.input_schema,
                }
            ],
            "tool_choice": {"type": "tool", "name": prompt.tool.name},
        }
        if on_reasoning is None:
            message = await self._client.messages.create(**request)
        else:
            message = await self._streamed(request, on_reasoning)
        tokens = tokens_of(message.usage)
        if message.stop_reason == "max_tokens":
            raise OutputInvalid("the answer was cut off at max_tokens", tokens)
        for block in message.content:
            if block.type == "tool_use" and block.name == prompt.tool.name:
                return Answer(tool_input=block.input, tokens_used=tokens)
        raise OutputInvalid("the answer does not use the decision tool", tokens)

    async def _streamed(self, request: dict[str, Any], on_reasoning: ReasoningSink) -> Any:
        """Streams the tool input's `reasoning` string as it grows, then returns the whole message."""
        from jiter import from_json  # the anthropic SDK's own partial-JSON parser

        shown, tool_json = "", b""
        async with self._client.messages.stream(**request) as stream:
            async for event in stream:
                if event.type == "text":
                    await on_reasoning(event.text)
                elif event.type == "input_json":
                    # The SDK's snapshot leaves out a string until it is complete; this keeps its beginning.
                    tool_json += event.partial_json.encode()
                    try:
                        partial = from_json(tool_json, partial_mode="trailing-strings")
                    except ValueError:
                        continue
                    reasoning = partial.get("reasoning") if isinstance(partial, dict) else None
                    if (
                        isinstance(reasoning, str)
                        and len(reasoning) > len(shown)
                        and reasoning.startswith(shown)
                    ):
                        await on_reasoning(reasoning[len(shown) :])
                        shown = reasoning
            return await stream.get_final_message()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
