"""Real receivers for the notification channels: an SMTP server (aiosmtpd) and a Slack incoming-webhook
stand-in (aiohttp), each on a free port of 127.0.0.1, and a notification request to send them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic import BaseModel
from temporalio import workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tests.support.ports import free_port
from tests.support.serving import serving

with workflow.unsafe.imports_passed_through():
    from activities.notifications import Notifier
    from workflows.notifications.types import NotificationKind, NotifyRequest, NotifyResult
    from workflows.types import Severity


@dataclass
class Mailbox:
    """What the SMTP server received: (envelope recipients, parsed message) per email."""

    port: int = 0
    received: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(content)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [message for rcpts, message in self.received if address in rcpts]


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd, on a thread of its own) on a free port."""
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@dataclass
class SlackReceiver:
    url: str = ""
    status: int = 200
    posts: list[dict[str, Any]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.posts.append(await request.json())
        if self.status != 200:
            return web.Response(status=self.status, text="internal_error")
        return web.Response(text="ok")


@asynccontextmanager
async def slack_receiver() -> AsyncIterator[SlackReceiver]:
    """An incoming-webhook stand-in serving from the caller's event loop; `url` is the webhook to set."""
    receiver = SlackReceiver()
    app = web.Application()
    app.router.add_post("/services/T000/B000/secret-token", receiver.handle)
    async with serving(app, access_log=None) as url:
        receiver.url = f"{url}/services/T000/B000/secret-token"
        yield receiver


def notify_request(company_id: str, user_ids: list[str], **overrides: Any) -> NotifyRequest:
    incident_id = overrides.pop("incident_id", f"incident-{company_id}-{uuid.uuid4().hex[:8]}-1")
    fields: dict[str, Any] = {
        "notification_key": f"{incident_id}:sla_warning:response:75",
        "company_id": company_id,
        "incident_id": incident_id,
        "kind": NotificationKind.sla_warning,
        "severity": Severity.critical,
        "title": "Response SLA at 75% for db-prod-01",
        "body": "Disk /var at 95% on db-prod-01; nobody has acknowledged it yet.",
        "user_ids": user_ids,
    } | overrides
    return NotifyRequest(**fields)


class NotifyTwice(BaseModel):
    request: NotifyRequest
    times: int = 1


@workflow.defn
class NotifyWorkflow:
    """Asks for the same notification `times` times, as an incident would after a worker restart."""

    @workflow.run
    async def run(self, plan: NotifyTwice) -> list[NotifyResult]:
        results = []
        for _ in range(plan.times):
            result = await workflow.execute_activity_method(
                Notifier.notify,
                plan.request,
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=5),
            )
            results.append(result)
        return results


def notify_worker(client: Client, task_queue: str, notifier: Notifier) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[NotifyWorkflow],
        activities=[notifier.notify],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
