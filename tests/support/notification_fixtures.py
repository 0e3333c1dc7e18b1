"""Fixtures for tests that watch notifications arrive: a real SMTP server and a Slack webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.notifications import Mailbox, SlackReceiver, slack_receiver, smtp_server


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
async def slack() -> AsyncIterator[SlackReceiver]:
    async with slack_receiver() as receiver:
        yield receiver
