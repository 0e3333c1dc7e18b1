"""The notification outbox against real receivers (aiosmtpd, a Slack webhook stand-in), on PostgreSQL and
SQLite: a notice written with its change is in the app at once; its dispatcher sends email and Slack once,
whoever dispatches it and however often it is written; a failing channel is recorded, retried later without
resending the others, and given up visibly. The incident store writes a notice only with its incident."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from activities.incident_store import IncidentStore
from core.db.models import Company, Notification, NotificationDelivery, NotificationOutbox, User
from core.notifications.dispatcher import Dispatcher
from core.notifications.inbox import inbox_of
from core.notifications.outbox import Doorbell, NoticeWriter, OutboxDispatcher
from core.security import SecretBox
from core.settings import Settings
from tests.support.helpers import store_alerts
from tests.support.notifications import Mailbox, SlackReceiver, notify_request
from tests.support.ports import free_port
from tests.support.stack import Stack
from workflows.notifications.types import NotificationKind, NotifyRequest, OutboxWatch
from workflows.types import IncidentState, IncidentStatus, RecordAlerts, Severity

PUBLIC_URL = "https://aw.example.net"


@pytest.fixture
def mailing(settings: Settings, mailbox: Mailbox) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": mailbox.port,
            "smtp_starttls": False,
            "smtp_timeout_s": 3.0,
            "slack_timeout_s": 3.0,
            "public_url": PUBLIC_URL,
        }
    )


@pytest.fixture
async def company_id(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, slack: SlackReceiver
) -> str:
    box = SecretBox(settings.secret_key)
    async with sessions() as session, session.begin():
        company = Company(name=f"Acme {uuid.uuid4().hex[:6]}", slack_webhook_encrypted=box.encrypt(slack.url))
        session.add(company)
    return company.id


@pytest.fixture
async def alice(sessions: async_sessionmaker[AsyncSession]) -> User:
    async with sessions() as session, session.begin():
        user = User(email=f"tech-{uuid.uuid4().hex[:8]}@msp.example", password_hash="-", role="technician")
        session.add(user)
    return user


def assignment(company_id: str, user_id: str) -> NotifyRequest:
    incident_id = f"incident-{company_id}-{uuid.uuid4().hex[:8]}-1"
    return notify_request(
        company_id,
        [user_id],
        incident_id=incident_id,
        notification_key=f"{incident_id}:assignment:1",
        kind=NotificationKind.assignment,
        title="Assigned to you: Disk /var at 95% on db-prod-01",
        body="on call",
    )


async def write(sessions: async_sessionmaker[AsyncSession], writer: NoticeWriter, req: NotifyRequest) -> None:
    """As the incident store writes it: inside the change's transaction, the doorbell rung on commit."""
    async with sessions() as session, session.begin():
        await writer.stage(session, [req])
    writer.committed()


@contextlib.asynccontextmanager
async def dispatching(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    doorbell: Doorbell,
    retry_after: Sequence[timedelta] = (),
) -> AsyncIterator[None]:
    """A dispatcher watching the outbox, as the loop's activity runs it, until the block ends."""
    dispatcher = Dispatcher(sessions, settings, SecretBox(settings.secret_key), retry_delays_s=(0.05,))
    outbox = OutboxDispatcher(sessions, dispatcher, doorbell, retry_after=retry_after)
    watching = asyncio.create_task(outbox.watch(OutboxWatch(seconds=600, poll_s=0.05), lambda: None))
    try:
        yield
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching


async def rows(sessions: async_sessionmaker[AsyncSession], model: Any, key: str) -> list[Any]:
    async with sessions() as session:
        found = await session.execute(select(model).where(col(model.notification_key) == key))
        return list(found.scalars())


async def statuses(sessions: async_sessionmaker[AsyncSession], key: str) -> dict[tuple[str, str], str]:
    return {(d.channel, d.user_id): d.status for d in await rows(sessions, NotificationDelivery, key)}


async def until_dispatched(sessions: async_sessionmaker[AsyncSession], key: str, timeout: float = 30) -> None:
    async def poll() -> None:
        while await rows(sessions, NotificationOutbox, key):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


async def test_a_notice_is_in_the_app_with_its_change_and_emailed_and_posted_once(
    sessions: async_sessionmaker[AsyncSession],
    mailing: Settings,
    company_id: str,
    alice: User,
    mailbox: Mailbox,
    slack: SlackReceiver,
) -> None:
    doorbell = Doorbell()
    writer = NoticeWriter(PUBLIC_URL, doorbell)
    req = assignment(company_id, alice.id)
    await write(sessions, writer, req)

    # Before any dispatcher ran: in the app, with its link, and waiting in the outbox.
    (in_app,) = await rows(sessions, Notification, req.notification_key)
    assert (in_app.user_id, in_app.kind, in_app.link) == (
        alice.id,
        "assignment",
        f"{PUBLIC_URL}/incidents/{req.incident_id}",
    )
    assert await statuses(sessions, req.notification_key) == {("in_app", alice.id): "sent"}
    assert len(await rows(sessions, NotificationOutbox, req.notification_key)) == 1
    assert mailbox.received == [] and slack.posts == []

    # Two dispatchers at once (a pass taken over from a worker thought dead): one sends.
    async with dispatching(sessions, mailing, doorbell), dispatching(sessions, mailing, Doorbell()):
        await until_dispatched(sessions, req.notification_key)
        # Written again, as a local activity run again after a failed workflow task writes it.
        await write(sessions, writer, req)
        await until_dispatched(sessions, req.notification_key)
    assert await statuses(sessions, req.notification_key) == {
        ("in_app", alice.id): "sent",
        ("email", alice.id): "sent",
        ("slack", "*"): "sent",
    }
    ((rcpts, email),) = mailbox.received
    assert rcpts == [alice.email]
    assert email["Subject"] == "[CRITICAL] Assigned to you: Disk /var at 95% on db-prod-01"
    (post,) = slack.posts
    assert "Assigned to you" in post["text"] and f"{PUBLIC_URL}/incidents/{req.incident_id}" in post["text"]
    assert len(await rows(sessions, Notification, req.notification_key)) == 1


async def test_a_failing_channel_is_recorded_then_retried_alone_once_due(
    sessions: async_sessionmaker[AsyncSession],
    mailing: Settings,
    company_id: str,
    alice: User,
    mailbox: Mailbox,
    slack: SlackReceiver,
) -> None:
    doorbell = Doorbell()
    writer = NoticeWriter(PUBLIC_URL, doorbell)
    req = assignment(company_id, alice.id)
    smtp_down = mailing.model_copy(update={"smtp_port": free_port()})  # nothing listens there

    async def failed_once() -> NotificationOutbox:
        while True:
            (row,) = await rows(sessions, NotificationOutbox, req.notification_key)
            if row.last_error:
                return row
            await asyncio.sleep(0.05)

    await write(sessions, writer, req)
    async with dispatching(sessions, smtp_down, doorbell, retry_after=[timedelta(hours=1)]):
        waiting = await asyncio.wait_for(failed_once(), 30)
    assert waiting.attempts == 1 and "SMTP 127.0.0.1" in (waiting.last_error or "")
    assert waiting.next_attempt_at > datetime.now(UTC) + timedelta(minutes=30)
    assert await statuses(sessions, req.notification_key) == {
        ("in_app", alice.id): "sent",
        ("email", alice.id): "failed",
        ("slack", "*"): "sent",
    }
    # Visible to the person it was for.
    async with sessions() as session:
        inbox = await inbox_of(session, alice.id, unread_only=False, limit=10)
    (listed,) = inbox.notifications
    email = next(d for d in inbox.deliveries_of(listed) if d.channel == "email")
    assert email.status == "failed" and email.attempts == 2 and "SMTP" in (email.last_error or "")

    # Its retry comes due with the SMTP server back: the email goes, Slack is not posted again.
    async with sessions() as session, session.begin():
        await session.execute(
            update(NotificationOutbox)
            .where(col(NotificationOutbox.notification_key) == req.notification_key)
            .values(next_attempt_at=datetime.now(UTC))
        )
    async with dispatching(sessions, mailing, doorbell, retry_after=[timedelta(hours=1)]):
        await until_dispatched(sessions, req.notification_key)
    assert (await statuses(sessions, req.notification_key))[("email", alice.id)] == "sent"
    assert len(mailbox.received) == 1 and len(slack.posts) == 1


async def test_a_channel_failing_past_the_last_retry_is_given_up_and_stays_failed(
    sessions: async_sessionmaker[AsyncSession], mailing: Settings, company_id: str, alice: User
) -> None:
    doorbell = Doorbell()
    req = assignment(company_id, alice.id)
    await write(sessions, NoticeWriter(PUBLIC_URL, doorbell), req)
    async with dispatching(sessions, mailing.model_copy(update={"smtp_port": free_port()}), doorbell):
        await until_dispatched(sessions, req.notification_key)
    assert await statuses(sessions, req.notification_key) == {
        ("in_app", alice.id): "sent",
        ("email", alice.id): "failed",
        ("slack", "*"): "sent",
    }


async def test_the_incident_store_writes_a_notice_only_with_the_incident_it_makes_visible(
    stack: Stack,
) -> None:
    acme = await stack.company()
    _, (alert,) = await store_alerts(stack.services, acme.id, 1)
    store = IncidentStore(stack.services.hot_sessions, NoticeWriter(PUBLIC_URL, Doorbell()))
    now = datetime.now(UTC)

    async def record(generation: int) -> NotifyRequest:
        state = IncidentState(
            incident_id=f"incident-{acme.id}-outbox-{generation}",
            company_id=acme.id,
            aggregation_key="outbox",
            generation=generation,
            status=IncidentStatus.new,
            severity=Severity.high,
            created_at=now,
            updated_at=now,
            title="outbox",
            assigned_to="usr_oncall",
        )
        notice = assignment(acme.id, "usr_oncall").model_copy(
            update={"incident_id": state.incident_id, "notification_key": f"{state.incident_id}:assignment:1"}
        )
        await store.record_alerts(
            RecordAlerts(
                state=state, alert_ids=[alert.id], attach_token=uuid.uuid4().hex, notification=notice
            )
        )
        return notice

    written = await record(1)
    # The same alert again, for another incident (a redelivery): nothing attached, nothing visible.
    refused = await record(2)
    sessions = stack.services.sessions
    assert len(await rows(sessions, Notification, written.notification_key)) == 1
    assert len(await rows(sessions, NotificationOutbox, written.notification_key)) == 1
    assert await rows(sessions, Notification, refused.notification_key) == []
    assert await rows(sessions, NotificationOutbox, refused.notification_key) == []
