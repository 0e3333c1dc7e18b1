"""Claude (or another tool-using model) on Amazon Bedrock through boto3's bedrock-runtime Converse API.

boto3 reads its own settings: credentials from its usual chain, AWS_ENDPOINT_URL_BEDROCK_RUNTIME for
another endpoint. Region AW_BEDROCK_REGION (default AW_AWS_REGION), model AW_BEDROCK_MODEL_ID. One attempt
per decision: the chain's next provider is the retry.
"""

from __future__ import annotations

import asyncio
from typing import Any

from core.decisions.providers.base import Answer, OutputInvalid, Prompt, ReasoningSink
from core.settings import Settings

NAME = "bedrock"


class BedrockProvider:
    name = NAME

    def __init__(self, settings: Settings) -> None:
        """Blocking (boto3 may look for credentials on the network): build it in a thread."""
        self._model_id = settings.bedrock_model_id
        self._client: Any = None
        self._unavailable: str | None = None
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            self._unavailable = "boto3 is not installed"
            return
        session = boto3.session.Session()
        if session.get_credentials() is None:
            self._unavailable = "boto3 finds no AWS credentials"
            return
        self._client = session.client(
            "bedrock-runtime",
            region_name=settings.bedrock_region or settings.aws_region,
            config=Config(
                retries={"max_attempts": 1, "mode": "standard"},
                connect_timeout=settings.max_decision_seconds,
                # The chain stops waiting after max_decision_seconds; the thread ends soon after.
                read_timeout=settings.max_decision_seconds + 1,
            ),
        )

    def unavailable_reason(self) -> str | None:
        return self._unavailable

    async def answer(self, prompt: Prompt, max_tokens: int, on_reasoning: ReasoningSink | None) -> Answer:
        response = await asyncio.to_thread(
            self._client.converse,
            modelId=self._model_id,
            system=[{"text": prompt.system}],
            messages=[{"role": "user", "content": [{"text": prompt.user}]}],
            toolConfig={
                "tools": [
                    {
                        "toolSpec": {
                            "name": prompt.tool.name,
                            "description": prompt.tool.description,
                            "inputSchema": {"json": prompt.tool.input_schema},
                        }
                    }
                ],
                "toolChoice": {"tool": {"name": prompt.tool.name}},
            },
            inferenceConfig={"maxTokens": max_tokens},
        )
        usage = response.get("usage") or {}
        tokens = int(usage.get("totalTokens") or (usage.get("inputTokens", 0) + usage.get("outputTokens", 0)))
        if response.get("stopReason") == "max_tokens":
            raise OutputInvalid("the answer was cut off at maxTokens", tokens)
        content = ((response.get("output") or {}).get("message") or {}).get("content") or []
        for block in content:
            tool_use = block.get("toolUse") if isinstance(block, dict) else None
            if tool_use and tool_use.get("name") == prompt.tool.name:
                return Answer(tool_input=tool_use.get("input"), tokens_used=tokens)
            if on_reasoning is not None and isinstance(block, dict) and block.get("text"):
                await on_reasoning(str(block["text"]))
        raise OutputInvalid("the answer does not use the decision tool", tokens)

    async def aclose(self) -> None:
        if self._client is not None:
            self._client.close()
