"""The SSM executor: one runbook command through AWS Systems Manager Run Command (document
AWS-RunShellScript) on the asset's instances, then polled until every instance has finished.

Sending is not idempotent in AWS, so boto3 never resends on its own here (`total_max_attempts=1`): a
failed send is retried by Temporal, and a retry first looks for the command a previous attempt may have
sent, by the marker in its Comment (`find_sent`). Polls are safe to repeat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from core.remediation.errors import classify, non_retryable, raise_classified

log = logging.getLogger(__name__)

DOCUMENT = "AWS-RunShellScript"
TERMINAL = frozenset({"Success", "Failed", "Cancelled", "TimedOut"})
COMMENT_MAX = 100  # SSM's limit on a command's Comment
# Right after SendCommand, GetCommandInvocation may not know the command yet; longer than this, it never will.
INVOCATION_GRACE_S = 60.0
# Polls that may fail in a row (throttled, AWS or the network having a moment) before the attempt fails.
POLL_FAILURES_TOLERATED = 5
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 1},
    connect_timeout=10,
    read_timeout=30,
)


@dataclass(frozen=True)
class InstanceResult:
    instance_id: str
    status: str
    status_details: str
    exit_code: int | None  # None: the command did not finish there (not delivered, timed out, cancelled)
    stdout: str
    stderr: str


@dataclass(frozen=True)
class SsmOutcome:
    command_id: str
    instances: list[InstanceResult]

    @property
    def exit_code(self) -> int | None:
        """The worst (highest) exit code among the instances where the command finished."""
        codes = [i.exit_code for i in self.instances if i.exit_code is not None]
        return max(codes) if codes else None

    @property
    def error(self) -> str | None:
        """Instances where the command did not finish, and why."""
        problems = [
            f"{i.instance_id}: {i.status}"
            + (f" ({i.status_details})" if i.status_details != i.status else "")
            for i in self.instances
            if i.exit_code is None
        ]
        return "; ".join(problems) or None

    def output_tail(self, tail_bytes: int) -> str:
        """Each instance's output under a heading naming it, each trimmed to its share of `tail_bytes`."""
        share = max(tail_bytes // max(len(self.instances), 1), 64)
        parts = []
        for i in self.instances:
            code = "no exit code" if i.exit_code is None else f"exit {i.exit_code}"
            output = i.stdout + (f"\n[stderr]\n{i.stderr}" if i.stderr else "")
            parts.append(f"== {i.instance_id} ({i.status}, {code}) ==\n{tail(output, share)}")
        return "\n".join(parts)


def tail(text: str, max_bytes: int) -> str:
    data = text.encode()
    if len(data) <= max_bytes:
        return text
    return data[-max_bytes:].decode("utf-8", errors="ignore")


def comment(marker: str, run_id: str, phase: str, index: int) -> str:
    """The marker first, so that it survives the cut to SSM's 100 characters."""
    return f"aw:{marker} {phase}#{index} {run_id}"[:COMMENT_MAX]


def _exit_code(invocation: dict[str, Any]) -> int | None:
    status = invocation.get("Status")
    code = invocation.get("ResponseCode")
    if status in ("Success", "Failed") and isinstance(code, int) and code >= 0:
        return code
    return None


class SsmRunCommand:
    """Run Command through one company's boto3 session. Every call runs in a thread."""

    def __init__(self, session: boto3.session.Session, *, poll_interval_s: float) -> None:
        self._client: Any = session.client("ssm", config=CLIENT_CONFIG)
        self._poll_interval_s = poll_interval_s

    @classmethod
    async def connect(cls, session: boto3.session.Session, *, poll_interval_s: float) -> SsmRunCommand:
        return await asyncio.to_thread(cls, session, poll_interval_s=poll_interval_s)

    async def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        result: dict[str, Any] = await asyncio.to_thread(getattr(self._client, operation), **kwargs)
        return result

    async def send(self, command: str, targets: list[str], *, timeout_s: int, comment: str) -> str:
        """The new command's id. Raises what `errors.classify` makes of a refusal."""
        if not targets:
            raise no_targets()
        try:
            sent = await self._call(
                "send_command",
                InstanceIds=targets,
                DocumentName=DOCUMENT,
                Parameters={"commands": [command], "executionTimeout": [str(timeout_s)]},
                # How long SSM may wait for an instance to pick the command up.
                TimeoutSeconds=max(30, timeout_s),
                Comment=comment,
            )
        except (ClientError, BotoCoreError) as err:
            raise_classified(err, "ssm:SendCommand")
        command_id: str = sent["Command"]["CommandId"]
        return command_id

    async def find_sent(self, marker: str, targets: list[str], since: datetime) -> str | None:
        """The id of a command an earlier attempt sent with this marker, if AWS has one."""
        if not targets:
            return None
        kwargs: dict[str, Any] = {
            "InstanceId": targets[0],
            "Filters": [
                {
                    "key": "InvokedAfter",
                    "value": (since - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            ],
        }
        prefix = f"aw:{marker} "
        while True:
            try:
                page = await self._call("list_commands", **kwargs)
            except (ClientError, BotoCoreError) as err:
                raise_classified(err, "ssm:ListCommands")
            for found in page.get("Commands", []):
                if str(found.get("Comment", "")).startswith(prefix):
                    command_id: str = found["CommandId"]
                    return command_id
            if not page.get("NextToken"):
                return None
            kwargs["NextToken"] = page["NextToken"]

    async def wait(self, command_id: str, targets: list[str], *, sent_at: float) -> SsmOutcome:
        """Polls each instance until the command is over there. `sent_at` is `time.time()` at sending."""
        finished: dict[str, InstanceResult] = {}
        failures = 0
        while True:
            for instance_id in targets:
                if instance_id in finished:
                    continue
                try:
                    invocation = await self._call(
                        "get_command_invocation", CommandId=command_id, InstanceId=instance_id
                    )
                except (ClientError, BotoCoreError) as err:
                    failures = self._tolerate(err, failures, sent_at)
                    continue
                failures = 0
                if invocation.get("Status") in TERMINAL:
                    finished[instance_id] = InstanceResult(
                        instance_id=instance_id,
                        status=str(invocation["Status"]),
                        status_details=str(invocation.get("StatusDetails") or invocation["Status"]),
                        exit_code=_exit_code(invocation),
                        stdout=str(invocation.get("StandardOutputContent") or ""),
                        stderr=str(invocation.get("StandardErrorContent") or ""),
                    )
            if len(finished) == len(targets):
                return SsmOutcome(command_id, [finished[i] for i in targets])
            await asyncio.sleep(self._poll_interval_s)

    def _tolerate(self, err: ClientError | BotoCoreError, failures: int, sent_at: float) -> int:
        """The failures in a row so far, or raises when this one should end the attempt."""
        code = err.response.get("Error", {}).get("Code", "") if isinstance(err, ClientError) else ""
        if code == "InvocationDoesNotExist":
            if time.time() - sent_at < INVOCATION_GRACE_S:
                return failures
            raise non_retryable(
                "SsmInvocationMissing",
                f"SSM still knows no invocation of the command {INVOCATION_GRACE_S:.0f} s after it was sent: "
                "check the instance ids and the company's region",
            ) from err
        classified = classify(err, "ssm:GetCommandInvocation")
        if classified is not err:
            raise classified from err
        if failures + 1 >= POLL_FAILURES_TOLERATED:
            raise err
        log.info("ssm poll failed, polling again", extra={"code": code, "failures": failures + 1})
        return failures + 1

    async def cancel(self, command_id: str) -> None:
        """Best effort, for an activity that was cancelled while its command ran."""
        try:
            await self._call("cancel_command", CommandId=command_id)
        except (ClientError, BotoCoreError) as err:
            log.warning("could not cancel ssm command %s: %s", command_id, err)


def no_targets() -> Exception:
    return non_retryable(
        "SsmNoTargets",
        "the runbook run names no instance ids for SSM: map the asset to its EC2 or managed instance id "
        "(the company's assets, asset_id) or use another executor",
    )


@dataclass(frozen=True)
class SentCommand:
    """What an attempt records in its heartbeat once the command is sent, so a retry polls it instead of
    sending it again."""

    command_id: str
    sent_at: float  # time.time()
    started_at: datetime

    def details(self) -> dict[str, Any]:
        return {
            "command_id": self.command_id,
            "sent_at": self.sent_at,
            "started_at": self.started_at.isoformat(),
        }

    @classmethod
    def from_details(cls, details: Sequence[Any]) -> SentCommand | None:
        """The last heartbeat's record, or None when the attempts before recorded none."""
        if not details or not isinstance(details[-1], dict) or "command_id" not in details[-1]:
            return None
        last = details[-1]
        return cls(
            command_id=str(last["command_id"]),
            sent_at=float(last["sent_at"]),
            started_at=datetime.fromisoformat(str(last["started_at"])),
        )
