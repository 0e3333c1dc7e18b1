"""One local HTTP server standing in for the LLM APIs, so tests run the real SDK code against it.

It serves the anthropic Messages API (`POST /v1/messages`, streaming too), Bedrock Converse
(`POST /model/{id}/converse`) and Gemini (`POST /v1beta/models/{model}:generateContent`). Each API answers
as its `Reply` says (good, malformed, slow, an HTTP error, too many tokens, or whatever a prompt-injected
model would say), and every request is recorded for the test to inspect.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from tests.support.serving import serving

Api = Literal["anthropic", "bedrock", "gemini"]
ToolInput = object | Callable[[str], object]  # or computed from the request's prompt text


@dataclass
class Reply:
    tool_input: ToolInput = None
    input_tokens: int = 120
    output_tokens: int = 60
    status: int = 200
    delay_s: float = 0.0
    raw_body: str | None = None  # sent as is instead of a well-formed answer (malformed JSON, say)
    text_only: bool = False  # answers in prose, without using the tool


def decision(
    action: str,
    runbook_id: str | None,
    *,
    reasoning: str = "The runbook fits the alert.",
    confidence: float = 0.8,
) -> dict[str, Any]:
    return {"reasoning": reasoning, "action": action, "runbook_id": runbook_id, "confidence": confidence}


def good(action: str, runbook_id: str | None, **kwargs: Any) -> Reply:
    return Reply(tool_input=decision(action, runbook_id, **kwargs))


TOOL_KEYS = {"tools", "tool_choice", "toolConfig"}


def strings_in(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


@dataclass
class Request:
    api: Api
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def text(self) -> str:
        """Everything the model was told (the request without its tool definitions), as one string."""
        return "\n".join(strings_in({k: v for k, v in self.body.items() if k not in TOOL_KEYS}))


@dataclass
class FakeLlm:
    url: str = ""
    replies: dict[str, Reply] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)

    def reply(self, api: Api, reply: Reply) -> None:
        self.replies[api] = reply

    def requests_to(self, api: Api) -> list[Request]:
        return [r for r in self.requests if r.api == api]

    # --- the three APIs ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path == "/v1/messages":
            api: Api = "anthropic"
        elif path.startswith("/model/") and path.endswith("/converse"):
            api = "bedrock"
        elif ":generateContent" in path:
            api = "gemini"
        else:
            return web.json_response({"message": f"no such path {path}"}, status=404)
        body = await request.json()
        recorded = Request(api, path, dict(request.headers), body)
        self.requests.append(recorded)
        reply = self.replies.get(api) or Reply(status=500)
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if reply.status != 200:
            return self._error(api, reply.status)
        if reply.raw_body is not None:
            return web.Response(text=reply.raw_body, content_type="application/json")
        tool_input = reply.tool_input(recorded.text) if callable(reply.tool_input) else reply.tool_input
        if api == "anthropic":
            name = body.get("tool_choice", {}).get("name", "tool")
            if body.get("stream"):
                return await self._anthropic_stream(request, reply, name, tool_input)
            return web.json_response(self._anthropic_message(reply, name, tool_input))
        if api == "bedrock":
            name = body.get("toolConfig", {}).get("toolChoice", {}).get("tool", {}).get("name", "tool")
            return web.json_response(self._converse(reply, name, tool_input))
        declarations = body.get("tools", [{}])[0].get("functionDeclarations") or body.get("tools", [{}])[
            0
        ].get("function_declarations", [{}])
        return web.json_response(self._gemini(reply, declarations[0].get("name", "tool"), tool_input))

    @staticmethod
    def _error(api: Api, status: int) -> web.Response:
        if api == "anthropic":
            kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
            return web.json_response(
                {"type": "error", "error": {"type": kind, "message": "boom"}}, status=status
            )
        if api == "bedrock":
            kind = {429: "ThrottlingException", 503: "ServiceUnavailableException"}.get(
                status, "InternalServerException"
            )
            return web.json_response({"message": "boom"}, status=status, headers={"x-amzn-ErrorType": kind})
        return web.json_response(
            {"error": {"code": status, "message": "boom", "status": "INTERNAL"}}, status=status
        )

    @staticmethod
    def _anthropic_message(reply: Reply, name: str, tool_input: object) -> dict[str, Any]:
        content: list[dict[str, Any]] = (
            [{"type": "text", "text": "I would restart it."}]
            if reply.text_only
            else [{"type": "tool_use", "id": "toolu_fake", "name": name, "input": tool_input}]
        )
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": "fake",
            "content": content,
            "stop_reason": "end_turn" if reply.text_only else "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
        }

    @staticmethod
    async def _anthropic_stream(
        request: web.Request, reply: Reply, name: str, tool_input: object
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(event: str, data: dict[str, Any]) -> None:
            await response.write(f"event: {event}\ndata: {json.dumps({'type': event, **data})}\n\n".encode())

        message = FakeLlm._anthropic_message(reply, name, tool_input)
        await send(
            "message_start",
            {
                "message": {
                    **message,
                    "content": [],
                    "stop_reason": None,
                    "usage": {**message["usage"], "output_tokens": 1},
                }
            },
        )
        await send(
            "content_block_start",
            {
                "index": 0,
                "content_block": {"type": "tool_use", "id": "toolu_fake", "name": name, "input": {}},
            },
        )
        encoded = json.dumps(tool_input)
        for start in range(0, len(encoded), 12):
            await send(
                "content_block_delta",
                {
                    "index": 0,
                    "delta": {"type": "input_json_delta", "partial_json": encoded[start : start + 12]},
                },
            )
        await send("content_block_stop", {"index": 0})
        await send(
            "message_delta",
            {
                "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                "usage": {"output_tokens": reply.output_tokens},
            },
        )
        await send("message_stop", {})
        await response.write_eof()
        return response

    @staticmethod
    def _converse(reply: Reply, name: str, tool_input: object) -> dict[str, Any]:
        content = (
            [{"text": "I would restart it."}]
            if reply.text_only
            else [{"toolUse": {"toolUseId": "tooluse_fake", "name": name, "input": tool_input}}]
        )
        return {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": "end_turn" if reply.text_only else "tool_use",
            "usage": {
                "inputTokens": reply.input_tokens,
                "outputTokens": reply.output_tokens,
                "totalTokens": reply.input_tokens + reply.output_tokens,
            },
            "metrics": {"latencyMs": 5},
        }

    @staticmethod
    def _gemini(reply: Reply, name: str, tool_input: object) -> dict[str, Any]:
        part = (
            {"text": "I would restart it."}
            if reply.text_only
            else {"functionCall": {"name": name, "args": tool_input}}
        )
        return {
            "candidates": [
                {"content": {"role": "model", "parts": [part]}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {
                "promptTokenCount": reply.input_tokens,
                "candidatesTokenCount": reply.output_tokens,
                "totalTokenCount": reply.input_tokens + reply.output_tokens,
            },
        }


@asynccontextmanager
async def running_fake_llm() -> AsyncIterator[FakeLlm]:
    fake = FakeLlm()
    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", fake._handle)
    async with serving(app, shutdown_timeout=0.5) as url:
        fake.url = url
        yield fake
