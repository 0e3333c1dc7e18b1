"""The `notify` activity against real receivers: an SMTP server (aiosmtpd) and a Slack webhook stand-in.
Each channel is sent once per notification key, whatever is retried or asked again; a failing channel is
recorded and never stops the others; a database failure is retried by Temporal without resending."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.notifications import Notifier
from core.db.engine import create_engine, session_factory
from core.db.models import Company, Notification, NotificationDelivery, User
from core.notifications import deliveries
from core.notifications.dispatcher import Dispatcher
from core.notifications.preferences import NotificationPreferences, save_preferences
from core.security import SecretBox
from core.settings import Settings
from tests.support.notifications import (
    Mailbox,
    NotifyTwice,
    NotifyWorkflow,
    SlackReceiver,
    notify_request,
    notify_worker,
)
from tests.support.ports import free_port
from workflows.notifications.types import NotifyRequest, NotifyResult
from workflows.types import Severity

PUBLIC_URL = "https://aw.example.net"


@pytest.fixture
def settings(settings: Settings, mailbox: Mailbox) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": mailbox.port,
            "smtp_starttls": False,
            "smtp_from": "Alert Whisperer <aw@msp.example>",
            "smtp_timeout_s": 3.0,
            "slack_timeout_s": 3.0,
            "public_url": PUBLIC_URL,
        }
    )


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def box(settings: Settings) -> SecretBox:
    return SecretBox(settings.secret_key)


@pytest.fixture
async def company_id(sessions: async_sessionmaker[AsyncSession], box: SecretBox, slack: SlackReceiver) -> str:
    async with sessions() as session, session.begin():
        company = Company(name=f"Acme {uuid.uuid4().hex[:6]}", slack_webhook_encrypted=box.encrypt(slack.url))
        session.add(company)
    return company.id


async def add_user(
    sessions: async_sessionmaker[AsyncSession], prefs: NotificationPreferences | None = None
) -> User:
    async with sessions() as session, session.begin():
        user = User(email=f"tech-{uuid.uuid4().hex[:8]}@msp.example", password_hash="-", role="technician")
        session.add(user)
        await session.flush()
        if prefs is not None:
            await save_preferences(session, user.id, prefs)
    return user


def notifier(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> Notifier:
    return Notifier(sessions, settings, retry_delays_s=(0.05, 0.05))


async def notify(n: Notifier, req: NotifyRequest) -> NotifyResult:
    result: NotifyResult = await ActivityEnvironment().run(n.notify, req)
    return result


async def deliveries_of(
    sessions: async_sessionmaker[AsyncSession], key: str
) -> dict[tuple[str, str], NotificationDelivery]:
    async with sessions() as session:
        rows = await session.execute(
            select(NotificationDelivery).where(col(NotificationDelivery.notification_key) == key)
        )
        return {(d.channel, d.user_id): d for d in rows.scalars()}


async def test_a_critical_notification_reaches_the_app_email_and_slack(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    company_id: str,
    mailbox: Mailbox,
    slack: SlackReceiver,
) -> None:
    alice = await add_user(sessions)
    bob = await add_user(sessions, NotificationPreferences(email="bob.oncall@msp.example"))
    req = notify_request(company_id, [alice.id, bob.id])

    result = await notify(notifier(sessions, settings), req)

    assert result.failed == {} and result.skipped == []
    both = sorted([alice.id, bob.id])
    assert result.delivered == {"in_app": both, "email": both, "slack": both}
    link = f"{PUBLIC_URL}/incidents/{req.incident_id}"
    (to_alice,) = mailbox.to(alice.email)
    (to_bob,) = mailbox.to("bob.oncall@msp.example")
    for email in (to_alice, to_bob):
        assert email["Subject"] == "[CRITICAL] Response SLA at 75% for db-prod-01"
        assert email["From"] == "Alert Whisperer <aw@msp.example>"
        text = email.get_payload(decode=True).decode()
        assert link in text and "nobody has acknowledged" in text
    (post,) = slack.posts  # once for the company, not once per user
    assert "[CRITICAL] Response SLA at 75% for db-prod-01" in post["text"] and link in post["text"]

    async with sessions() as session:
        rows = await session.execute(
            select(Notification).where(col(Notification.notification_key) == req.notification_key)
        )
        stored = {n.user_id: n for n in rows.scalars()}
    assert set(stored) == {alice.id, bob.id}
    assert all(n.read_at is None and n.link == link for n in stored.values())
    recorded = await deliveries_of(sessions, req.notification_key)
    assert {k: d.status for k, d in recorded.items()} == {
        ("in_app", alice.id): "sent",
        ("in_app", bob.id): "sent",
        ("email", alice.id): "sent",
        ("email", bob.id): "sent",
        ("slack", "*"): "sent",
    }


async def test_the_same_notification_asked_twice_sends_nothing_twice(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    company_id: str,
    mailbox: Mailbox,
    slack: SlackReceiver,
) -> None:
    alice = await add_user(sessions)
    req = notify_request(company_id, [alice.id])
    n = notifier(sessions, settings)
    first = await notify(n, req)
    # Another worker (the first one restarted) with the same key; a retry looks the same.
    again = await notify(notifier(sessions, settings), req)
    assert (
        again.delivered == first.delivered == {"in_app": [alice.id], "email": [alice.id], "slack": [alice.id]}
    )
    assert len(mailbox.received) == 1 and len(slack.posts) == 1
    async with sessions() as session:
        rows = await session.execute(select(Notification).where(col(Notification.user_id) == alice.id))
        assert len(rows.all()) == 1
    # Two attempts racing for the same key: one sends, the other waits for it and reports it delivered.
    racing = notify_request(
        company_id, [alice.id], notification_key=f"{req.incident_id}:sla_breached:response"
    )
    both = await asyncio.gather(
        *(
            Dispatcher(sessions, settings, SecretBox(settings.secret_key), claim_poll_s=0.05).dispatch(racing)
            for _ in range(2)
        )
    )
    assert all(r.delivered["email"] == [alice.id] for r in both)
    assert len(mailbox.received) == 2 and len(slack.posts) == 2


async def test_smtp_down_is_recorded_failed_and_the_other_channels_still_deliver(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, company_id: str, slack: SlackReceiver
) -> None:
    alice = await add_user(sessions)
    down = settings.model_copy(update={"smtp_port": free_port()})  # nothing listens there
    req = notify_request(company_id, [alice.id])

    result = await notify(notifier(sessions, down), req)

    assert result.delivered == {"in_app": [alice.id], "slack": [alice.id]}
    assert list(result.failed) == [f"email/{alice.id}"]
    assert "SMTP 127.0.0.1" in result.failed[f"email/{alice.id}"]
    assert len(slack.posts) == 1
    email = (await deliveries_of(sessions, req.notification_key))[("email", alice.id)]
    assert (email.status, email.attempts) == ("failed", 3)
    assert email.last_error and "SMTP" in email.last_error


async def test_slack_failing_is_recorded_and_tried_again_on_the_next_request_without_resending_email(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    company_id: str,
    mailbox: Mailbox,
    slack: SlackReceiver,
) -> None:
    alice = await add_user(sessions)
    req = notify_request(company_id, [alice.id])
    slack.status = 500

    result = await notify(notifier(sessions, settings), req)

    assert result.delivered == {"in_app": [alice.id], "email": [alice.id]}
    assert result.failed == {"slack": "Slack answered 500: internal_error"}
    assert len(slack.posts) == 3  # tried three times within the attempt
    assert slack.url not in str(result)
    recorded = (await deliveries_of(sessions, req.notification_key))[("slack", "*")]
    assert (recorded.status, recorded.attempts) == ("failed", 3)

    slack.status = 200
    again = await notify(notifier(sessions, settings), req)
    assert again.delivered == {"in_app": [alice.id], "email": [alice.id], "slack": [alice.id]}
    assert len(mailbox.received) == 1 and len(slack.posts) == 4
    recorded = (await deliveries_of(sessions, req.notification_key))[("slack", "*")]
    assert (recorded.status, recorded.attempts) == ("sent", 4)


async def test_email_without_an_smtp_host_and_slack_without_a_webhook_are_skipped_with_reasons(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with sessions() as session, session.begin():
        company = Company(name="No Slack")
        session.add(company)
    alice = await add_user(sessions)
    req = notify_request(company.id, [alice.id, "usr_gone"])

    result = await notify(notifier(sessions, settings.model_copy(update={"smtp_host": None})), req)

    assert result.delivered == {"in_app": [alice.id]}
    assert result.failed == {}
    assert sorted(result.skipped) == sorted(
        [
            f"email/{alice.id}: email is off: no SMTP host (AW_SMTP_HOST)",
            "slack: no Slack webhook set for the company",
            "*/usr_gone: no such user",
        ]
    )
    recorded = await deliveries_of(sessions, req.notification_key)
    assert recorded[("email", alice.id)].status == "skipped"


async def test_quiet_hours_keep_a_high_notification_in_the_app_but_not_a_critical_one(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    company_id: str,
    mailbox: Mailbox,
    slack: SlackReceiver,
) -> None:
    sleeper = await add_user(
        sessions,
        NotificationPreferences.model_validate(
            {
                "channels": {"high": ["email", "slack"]},
                "quiet_hours": {"start": "22:00", "end": "07:00", "timezone": "Europe/Berlin"},
            }
        ),
    )
    dispatcher = Dispatcher(sessions, settings, SecretBox(settings.secret_key), retry_delays_s=())
    night = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 00:30 in Berlin
    high = notify_request(company_id, [sleeper.id], severity=Severity.high)
    held = await dispatcher.dispatch(high, now=night)
    assert held.delivered == {"in_app": [sleeper.id]}
    assert sorted(held.skipped) == [f"email/{sleeper.id}: quiet hours", "slack: quiet hours"]
    assert mailbox.received == [] and slack.posts == []

    critical = notify_request(company_id, [sleeper.id], severity=Severity.critical)
    paged = await dispatcher.dispatch(critical, now=night)
    assert paged.delivered == {"in_app": [sleeper.id], "email": [sleeper.id], "slack": [sleeper.id]}


async def test_a_database_failure_is_retried_by_temporal_and_sends_nothing_twice(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    company_id: str,
    mailbox: Mailbox,
    slack: SlackReceiver,
    temporal_client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first attempt sends the email, then loses the database before Slack: Temporal retries the
    activity, which sends Slack and not the email again. The workflow then asks a second time (as after
    a restart): nothing more is sent."""
    alice = await add_user(sessions)
    req = notify_request(company_id, [alice.id])
    real_claim = deliveries.claim
    failures = []

    async def flaky_claim(
        session: AsyncSession, key: deliveries.DeliveryKey, **kwargs: object
    ) -> deliveries.Claim:
        if key.channel == "slack" and not failures:
            while not mailbox.received:  # the email went out first in this attempt
                await asyncio.sleep(0.01)
            failures.append(key)
            raise OperationalError("UPDATE notification_delivery", {}, Exception("connection reset"))
        return await real_claim(session, key, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(deliveries, "claim", flaky_claim)
    async with notify_worker(temporal_client, settings.task_queue, notifier(sessions, settings)):
        results = await temporal_client.execute_workflow(
            NotifyWorkflow.run,
            NotifyTwice(request=req, times=2),
            id=f"notify-{uuid.uuid4().hex[:8]}",
            task_queue=settings.task_queue,
        )
    assert len(failures) == 1
    expected = {"in_app": [alice.id], "email": [alice.id], "slack": [alice.id]}
    assert [r.delivered for r in results] == [expected, expected]
    assert len(mailbox.received) == 1 and len(slack.posts) == 1


async def test_alert_text_cannot_break_email_headers_or_ping_slack(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    company_id: str,
    mailbox: Mailbox,
    slack: SlackReceiver,
) -> None:
    alice = await add_user(sessions)
    req = notify_request(
        company_id,
        [alice.id],
        title="disk full\r\nBcc: victim@example.com",
        body="<!channel> & <https://x.example|y>",
    )
    result = await notify(notifier(sessions, settings), req)
    assert result.failed == {}
    ((rcpts, email),) = mailbox.received
    assert rcpts == [alice.email] and email["Bcc"] is None
    assert email["Subject"] == "[CRITICAL] disk full Bcc: victim@example.com"
    (post,) = slack.posts
    assert "<!channel>" not in post["text"] and "&lt;!channel&gt; &amp;" in post["text"]


async def test_people_named_in_a_notice_read_as_names_in_email_slack_and_the_app(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    company_id: str,
    mailbox: Mailbox,
    slack: SlackReceiver,
) -> None:
    alice = await add_user(sessions)
    async with sessions() as session, session.begin():
        ada = User(
            email=f"ada-{uuid.uuid4().hex[:6]}@msp.example",
            name="Ada Admin",
            password_hash="-",
            role="company_admin",
        )
        nameless = User(email=f"x-{uuid.uuid4().hex[:6]}@msp.example", password_hash="-", role="technician")
        session.add_all([ada, nameless])
    req = notify_request(
        company_id,
        [alice.id],
        title=f"Assigned to you by {ada.id}",
        body=f"assigned by {ada.id}, cc {nameless.id}",
    )

    result = await notify(notifier(sessions, settings), req)

    assert result.failed == {}
    ((_, email),) = mailbox.received
    assert email["Subject"] == "[CRITICAL] Assigned to you by Ada Admin"
    # Without a name, the id stays: a colleague's email is not shown (as in the user directory).
    assert f"assigned by Ada Admin, cc {nameless.id}" in email.get_payload(decode=True).decode()
    (post,) = slack.posts
    assert "Assigned to you by Ada Admin" in post["text"] and ada.id not in post["text"]
    async with sessions() as session:
        (stored,) = (
            await session.execute(
                select(Notification).where(col(Notification.notification_key) == req.notification_key)
            )
        ).scalars()
    assert stored.body == f"assigned by Ada Admin, cc {nameless.id}"
