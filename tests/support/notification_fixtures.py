"""Fixtures for tests that watch notifications arrive: a real SMTP server, a Slack webhook receiver, and
the stack mailing through that server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from temporalio.client import Client

from core.settings import Settings
from tests.support.notifications import Mailbox, SlackReceiver, slack_receiver, smtp_server
from tests.support.stack import Stack, make_stack
from worker.worker import ensure_notification_outbox_loop


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
async def slack() -> AsyncIterator[SlackReceiver]:
    async with slack_receiver() as receiver:
        yield receiver


@pytest.fixture
async def mailing_stack(
    mailbox: Mailbox, settings: Settings, temporal_client: Client
) -> AsyncIterator[Stack]:
    """The whole stack emailing through `mailbox`, with the notification outbox's loop as `worker` runs it."""
    smtp = {"smtp_host": "127.0.0.1", "smtp_port": mailbox.port, "smtp_starttls": False}
    running = make_stack(settings.model_copy(update=smtp), temporal_client)
    await running.start_api()
    await ensure_notification_outbox_loop(temporal_client, running.services)
    running.start_worker()
    yield running
    await running.close()
