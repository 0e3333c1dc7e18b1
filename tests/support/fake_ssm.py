"""A stand-in for AWS Systems Manager's Run Command API, for the paths moto cannot show: failing, slow and
throttled commands, and refusals. boto3 reaches it through AWS_ENDPOINT_URL_SSM, so the executor's real
boto3 code runs; it speaks SSM's JSON 1.1 protocol (`X-Amz-Target: AmazonSSM.<Operation>`).

Behaviour is scripted per command text (`script`) and for the whole server (`throttle_sends`,
`refuse_sends`); `sends` records every SendCommand that was accepted, so a test can prove that a
resumed activity did not send its command twice.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from tests.support.aws import fake_credentials
from tests.support.serving import serving


@dataclass
class Behaviour:
    """How a command runs on every instance it is sent to."""

    exit_code: int = 0
    stdout: str = ""
    stderr: str = ""
    in_progress_polls: int = 0  # polls (per instance) answered InProgress before the outcome
    hold: asyncio.Event | None = None  # InProgress until this is set (after `in_progress_polls`)
    status: str | None = None  # e.g. "TimedOut" or "Cancelled": overrides Success/Failed
    missing_polls: int = 0  # polls answered InvocationDoesNotExist first, as right after a real send


@dataclass
class SentCommand:
    command_id: str
    command: str
    instance_ids: list[str]
    request: dict[str, Any]
    behaviour: Behaviour
    requested_at: float
    polls: dict[str, int] = field(default_factory=dict)


class FakeSsm:
    def __init__(self) -> None:
        self.url = ""
        self.behaviours: dict[str, Behaviour] = {}
        self.default = Behaviour()
        self.throttle_sends = 0  # the next K SendCommand calls answer ThrottlingException
        self.throttle_polls = 0  # the next K GetCommandInvocation calls answer ThrottlingException
        self.fail_polls = 0  # the next K GetCommandInvocation calls answer 500 InternalServerError
        self.refuse_sends: str | None = None  # e.g. "AccessDeniedException", "InvalidInstanceId"
        self.sends: list[SentCommand] = []
        self.calls: list[str] = []  # every operation asked for, in order, throttled or not
        self.by_id: dict[str, SentCommand] = {}

    def script(self, command: str, **behaviour: Any) -> Behaviour:
        self.behaviours[command] = Behaviour(**behaviour)
        return self.behaviours[command]

    def sent(self, command: str) -> list[SentCommand]:
        return [s for s in self.sends if s.command == command]

    def polls(self, command: str) -> int:
        return sum(sum(s.polls.values()) for s in self.sent(command))

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    # --- the protocol -------------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        operation = request.headers.get("X-Amz-Target", "").removeprefix("AmazonSSM.")
        self.calls.append(operation)
        body = json.loads(await request.read() or b"{}")
        handler = getattr(self, f"_{operation}", None)
        if handler is None:
            return error(400, "UnknownOperationException", f"the fake does not do {operation}")
        response: web.Response = handler(body)
        return response

    # Named after the operations (X-Amz-Target), hence the capitals.
    def _SendCommand(self, body: dict[str, Any]) -> web.Response:
        if self.throttle_sends > 0:
            self.throttle_sends -= 1
            return error(400, "ThrottlingException", "Rate exceeded")
        if self.refuse_sends == "AccessDeniedException":
            return error(
                400,
                "AccessDeniedException",
                "User: arn:aws:sts::123456789012:assumed-role/aw/x is not authorized to perform: "
                "ssm:SendCommand",
            )
        if self.refuse_sends:
            return error(400, self.refuse_sends, f"refused: {self.refuse_sends}")
        command = body["Parameters"]["commands"][0]
        sent = SentCommand(
            command_id=str(uuid.uuid4()),
            command=command,
            instance_ids=list(body.get("InstanceIds", [])),
            request=body,
            behaviour=self.behaviours.get(command, self.default),
            requested_at=datetime.now(UTC).timestamp(),
        )
        self.sends.append(sent)
        self.by_id[sent.command_id] = sent
        return web.json_response({"Command": self._command(sent)})

    def _ListCommands(self, body: dict[str, Any]) -> web.Response:
        found = [
            self._command(s)
            for s in self.sends
            if not body.get("InstanceId") or body["InstanceId"] in s.instance_ids
        ]
        return web.json_response({"Commands": found})

    def _GetCommandInvocation(self, body: dict[str, Any]) -> web.Response:
        if self.throttle_polls > 0:
            self.throttle_polls -= 1
            return error(400, "ThrottlingException", "Rate exceeded")
        if self.fail_polls > 0:
            self.fail_polls -= 1
            return error(500, "InternalServerError", "try again")
        sent = self.by_id.get(body["CommandId"])
        instance = body["InstanceId"]
        if sent is None or instance not in sent.instance_ids:
            return error(400, "InvocationDoesNotExist", "")
        polls = sent.polls[instance] = sent.polls.get(instance, 0) + 1
        behaviour = sent.behaviour
        if polls <= behaviour.missing_polls:
            return error(400, "InvocationDoesNotExist", "")
        polls -= behaviour.missing_polls
        running = polls <= behaviour.in_progress_polls or (
            behaviour.hold is not None and not behaviour.hold.is_set()
        )
        answer: dict[str, Any] = {
            "CommandId": sent.command_id,
            "InstanceId": instance,
            "Comment": sent.request.get("Comment", ""),
            "DocumentName": sent.request.get("DocumentName"),
            "PluginName": "aws:runShellScript",
        }
        if running:
            answer |= {
                "Status": "InProgress",
                "StatusDetails": "InProgress",
                "ResponseCode": -1,
                "StandardOutputContent": behaviour.stdout[: len(behaviour.stdout) // 2],
                "StandardErrorContent": "",
            }
            return web.json_response(answer)
        status = behaviour.status or ("Success" if behaviour.exit_code == 0 else "Failed")
        answer |= {
            "Status": status,
            "StatusDetails": "ExecutionTimedOut" if status == "TimedOut" else status,
            "ResponseCode": behaviour.exit_code if status in ("Success", "Failed") else -1,
            "StandardOutputContent": behaviour.stdout,
            "StandardErrorContent": behaviour.stderr,
        }
        return web.json_response(answer)

    def _command(self, sent: SentCommand) -> dict[str, Any]:
        return {
            "CommandId": sent.command_id,
            "DocumentName": sent.request.get("DocumentName"),
            "Comment": sent.request.get("Comment", ""),
            "InstanceIds": sent.instance_ids,
            "Parameters": sent.request.get("Parameters", {}),
            "RequestedDateTime": sent.requested_at,
            "Status": "InProgress",
            "TimeoutSeconds": sent.request.get("TimeoutSeconds"),
        }


def error(status: int, code: str, message: str) -> web.Response:
    return web.json_response(
        {"__type": code, "message": message},
        status=status,
        headers={"x-amzn-ErrorType": code},
        content_type="application/x-amz-json-1.1",
    )


@asynccontextmanager
async def running_fake_ssm() -> AsyncIterator[FakeSsm]:
    """The fake on a free port of 127.0.0.1, serving from the caller's event loop."""
    fake = FakeSsm()
    app = web.Application()
    app.router.add_post("/", fake.handle)
    async with serving(app, access_log=None) as url:
        fake.url = url
        yield fake


@asynccontextmanager
async def fake_ssm_behind_boto3(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeSsm]:
    """The fake, where boto3's SSM client finds it, under made-up credentials."""
    fake_credentials(monkeypatch)
    async with running_fake_ssm() as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", fake.url)
        yield fake
