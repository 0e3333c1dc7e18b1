"""Gemini through the google-genai SDK (the optional extra `gemini`), forced to call the decision tool.

The SDK reads its own settings: GEMINI_API_KEY or GOOGLE_API_KEY, GOOGLE_GEMINI_BASE_URL for another
endpoint. Model AW_GEMINI_MODEL.
"""

from __future__ import annotations

from typing import Any

from core.decisions.providers.base import Answer, OutputInvalid, Prompt, ReasoningSink
from core.settings import Settings

NAME = "gemini"


class GeminiProvider:
    name = NAME

    def __init__(self, settings: Settings) -> None:
        self._model = settings.gemini_model
        self._client: Any = None
        self._types: Any = None
        self._unavailable: str | None = None
        try:
            from google import genai
            from google.genai import types
        except ImportError:
            self._unavailable = "google-genai is not installed (pip install 'alert-whisperer[gemini]')"
            return
        try:
            self._client = genai.Client(
                http_options=types.HttpOptions(timeout=int(settings.max_decision_seconds * 1000))
            )
        except ValueError as err:  # no API key
            self._unavailable = str(err).split(".")[0]
            return
        self._types = types

    def unavailable_reason(self) -> str | None:
        return self._unavailable

    async def answer(self, prompt: Prompt, max_tokens: int, on_reasoning: ReasoningSink | None) -> Answer:
        types = self._types
        config = types.GenerateContentConfig(
            system_instruction=prompt.system,
            max_output_tokens=max_tokens,
            tools=[
                types.Tool(
                    function_declarations=[
                        types.FunctionDeclaration(
                            name=prompt.tool.name,
                            description=prompt.tool.description,
                            parameters_json_schema=prompt.tool.input_schema,
                        )
                    ]
                )
            ],
            tool_config=types.ToolConfig(
                function_calling_config=types.FunctionCallingConfig(
                    mode="ANY", allowed_function_names=[prompt.tool.name]
                )
            ),
        )
        response = await self._client.aio.models.generate_content(
            model=self._model, contents=prompt.user, config=config
        )
        usage = response.usage_metadata
        tokens = int(getattr(usage, "total_token_count", None) or 0) if usage is not None else 0
        for call in response.function_calls or []:
            if call.name == prompt.tool.name:
                args = dict(call.args) if call.args is not None else None
                return Answer(tool_input=args, tokens_used=tokens)
        raise OutputInvalid("the answer does not use the decision tool", tokens)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aio.aclose()
