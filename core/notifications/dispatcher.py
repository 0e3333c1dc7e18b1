"""Sends one notification: for each user, the channels their preferences pick; each channel at most once
per notification key (`deliveries.py`), a few tries with back-off, and every outcome recorded.

One failing channel never stops another, and channel failures never raise: they are recorded as failed
deliveries (visible in GET /api/notifications) and returned. Only database trouble raises, for the
activity to be retried; channels already sent are then not sent again.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from core.db.models import Company, User, utcnow
from core.notifications import deliveries
from core.notifications.channels import ChannelFailed, Message, in_app
from core.notifications.channels.email import SmtpEmail
from core.notifications.channels.slack import SlackWebhook
from core.notifications.deliveries import COMPANY_WIDE, DeliveryKey
from core.notifications.naming import with_names
from core.notifications.preferences import NotificationPreferences, channels_for, preferences_of_users
from core.notifications.slack_setting import webhook_url_of
from core.security import SecretBox
from core.settings import Settings
from workflows.notifications.types import Channel, NotifyRequest, NotifyResult

log = logging.getLogger(__name__)

# Waits between the tries of one channel within one activity attempt.
RETRY_DELAYS_S = (2.0, 5.0)
# A claim held by an attempt that is still sending is waited for, this often.
CLAIM_POLL_S = 1.0
NO_SLACK_WEBHOOK = "no Slack webhook set for the company"


@dataclass
class _Outcome:
    delivered: dict[str, list[str]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def record(self, channel: Channel, user_ids: Sequence[str], status: str, reason: str | None) -> None:
        name = channel.value
        target = name if user_ids == [COMPANY_WIDE] or channel == Channel.slack else f"{name}/{user_ids[0]}"
        if status == "sent":
            self.delivered.setdefault(name, []).extend(u for u in user_ids if u != COMPANY_WIDE)
        elif status == "failed":
            self.failed[target] = reason or "failed"
        else:
            self.skipped.append(f"{target}: {reason}")

    def result(self) -> NotifyResult:
        # Users in a stable order, whatever order the concurrent sends finished in.
        delivered = {channel: sorted(users) for channel, users in self.delivered.items()}
        return NotifyResult(delivered=delivered, failed=self.failed, skipped=self.skipped)


@dataclass
class _Plan:
    """One notice on its way: whom it reaches in the app, what is skipped and why, what is to be sent."""

    req: NotifyRequest
    message: Message
    outcome: _Outcome = field(default_factory=_Outcome)
    user_ids: list[str] = field(default_factory=list)
    skips: list[tuple[Channel, str, str]] = field(default_factory=list)
    skipped: list[tuple[Channel, str, str, bool]] = field(default_factory=list)
    sends: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


@dataclass(frozen=True)
class _Recipient:
    user: User
    prefs: NotificationPreferences

    @property
    def email(self) -> str:
        return self.prefs.email or self.user.email


class Dispatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        box: SecretBox,
        *,
        retry_delays_s: Sequence[float] = RETRY_DELAYS_S,
        claim_poll_s: float = CLAIM_POLL_S,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._box = box
        self._email = SmtpEmail(settings)
        self._slack = SlackWebhook(settings)
        self._retry_delays_s = tuple(retry_delays_s)
        self._claim_poll_s = claim_poll_s
        # Longer than all tries of one channel can take, so a claim that outlives it is a dead attempt's.
        longest_try = max(settings.smtp_timeout_s, settings.slack_timeout_s)
        self.lease = timedelta(
            seconds=(1 + len(self._retry_delays_s)) * longest_try + sum(self._retry_delays_s) + 30
        )

    async def dispatch(self, req: NotifyRequest, now: datetime | None = None) -> NotifyResult:
        (result,) = await self._dispatch([req], now or utcnow(), store_in_app=True)
        if isinstance(result, BaseException):
            raise result  # database trouble: the activity is retried; sent channels stay sent
        return result

    async def dispatch_outboxed(
        self, reqs: Sequence[NotifyRequest], now: datetime | None = None
    ) -> list[NotifyResult | BaseException]:
        """Notices whose in-app rows were written with the change they announce (core/notifications/
        outbox.py): their other channels, read and recorded for all of them at once. Per notice, its
        result, or the database trouble that stopped it (its sent channels stay sent)."""
        return await self._dispatch(reqs, now or utcnow(), store_in_app=False)

    async def _dispatch(
        self, reqs: Sequence[NotifyRequest], now: datetime, *, store_in_app: bool
    ) -> list[NotifyResult | BaseException]:
        async with self._sessions() as session:
            reqs = await with_names(session, reqs)
        plans = [_Plan(req, Message.of(req, self._settings.public_url)) for req in reqs]
        users, prefs, companies = await self._load(reqs)
        for plan in plans:
            self._plan(plan, users, prefs, companies.get(plan.req.company_id), now)

        # In-app first, in one transaction: it needs nothing outside the database. What is skipped for
        # reasons known now (quiet hours, no SMTP host, no Slack webhook) is recorded with it, not in one
        # transaction each.
        async with self._sessions() as session, session.begin():
            for plan in plans:
                if store_in_app:
                    await in_app.store(session, plan.req, plan.user_ids, plan.message.link)
                    for user_id in plan.user_ids:
                        key = DeliveryKey(plan.req.notification_key, user_id, Channel.in_app.value)
                        await deliveries.finish(session, key, "sent", now=now)
                plan.skipped = [
                    (channel, user_id, reason, await _skipped(session, plan.req, channel, user_id, reason))
                    for channel, user_id, reason in plan.skips
                ]
        for plan in plans:
            if plan.user_ids:
                plan.outcome.record(Channel.in_app, plan.user_ids, "sent", None)
            for channel, user_id, reason, sent in plan.skipped:
                # Sent by an earlier attempt, before quiet hours began, say: it was delivered all the same.
                plan.outcome.record(channel, [user_id], "sent" if sent else "skipped", reason)

        async def send_all(plan: _Plan) -> NotifyResult:
            sent = await asyncio.gather(*(send() for send in plan.sends), return_exceptions=True)
            failures = [r for r in sent if isinstance(r, BaseException)]
            if failures:
                raise failures[0]
            return plan.outcome.result()

        return list(await asyncio.gather(*(send_all(plan) for plan in plans), return_exceptions=True))

    def _plan(
        self,
        plan: _Plan,
        users: dict[str, User],
        prefs: dict[str, NotificationPreferences],
        company: Company | None,
        now: datetime,
    ) -> None:
        """Whom the notice reaches on which channel, what to send and what is skipped, and why."""
        req, outcome = plan.req, plan.outcome
        slack_users: list[str] = []
        slack_quieted = False
        for user_id in dict.fromkeys(req.user_ids):
            user = users.get(user_id)
            if user is None or user.disabled:
                why = "no such user" if user is None else "user is disabled"
                outcome.skipped.append(f"*/{user_id}: {why}")
                continue
            recipient = _Recipient(user, prefs[user_id])
            plan.user_ids.append(user_id)
            choice = channels_for(recipient.prefs, req.severity, now)
            for channel in choice.quieted:
                # Slack is the company's: held back for this user, it may still go out for another.
                if channel != Channel.slack:
                    plan.skips.append((channel, user_id, "quiet hours"))
            if Channel.email in choice.channels:
                reason = self._email.unavailable_reason()
                if reason:
                    plan.skips.append((Channel.email, user_id, reason))
                else:
                    send_email = functools.partial(self._email.send, recipient.email, plan.message)
                    plan.sends.append(
                        functools.partial(self._deliver, req, Channel.email, [user_id], send_email, outcome)
                    )
            if Channel.slack in choice.channels:
                slack_users.append(user_id)
            elif Channel.slack in choice.quieted:
                slack_quieted = True
        if slack_users and (company is None or company.slack_webhook_encrypted is None):
            plan.skips.append((Channel.slack, COMPANY_WIDE, NO_SLACK_WEBHOOK))
        elif slack_users:
            plan.sends.append(
                functools.partial(self._send_slack, req, company, slack_users, plan.message, outcome)
            )
        elif slack_quieted:
            plan.skips.append((Channel.slack, COMPANY_WIDE, "quiet hours"))

    async def _load(
        self, reqs: Sequence[NotifyRequest]
    ) -> tuple[dict[str, User], dict[str, NotificationPreferences], dict[str, Company]]:
        """The notices' users, their preferences and companies, in three queries whatever their number."""
        wanted = list(dict.fromkeys(u for req in reqs for u in req.user_ids))
        company_ids = list(dict.fromkeys(req.company_id for req in reqs))
        async with self._sessions() as session:
            rows = await session.execute(select(User).where(col(User.id).in_(wanted)))
            users = {user.id: user for user in rows.scalars()}
            prefs = await preferences_of_users(session, list(users))
            found = await session.execute(select(Company).where(col(Company.id).in_(company_ids)))
            companies = {company.id: company for company in found.scalars()}
        return users, prefs, companies

    async def _send_slack(
        self,
        req: NotifyRequest,
        company: Company | None,
        user_ids: list[str],
        message: Message,
        outcome: _Outcome,
    ) -> None:
        if company is None or company.slack_webhook_encrypted is None:
            await self._skip(req, Channel.slack, COMPANY_WIDE, NO_SLACK_WEBHOOK, outcome)
            return

        async def send() -> None:
            try:
                url = webhook_url_of(company, self._box)
            except ValueError as err:
                raise ChannelFailed(str(err)) from None
            assert url is not None
            await self._slack.send(url, message)

        await self._deliver(req, Channel.slack, user_ids, send, outcome, delivery_user=COMPANY_WIDE)

    async def _skip(
        self, req: NotifyRequest, channel: Channel, user_id: str, reason: str, outcome: _Outcome
    ) -> None:
        key = DeliveryKey(req.notification_key, user_id, channel.value)
        async with self._sessions() as session, session.begin():
            await deliveries.finish(session, key, "skipped", error=reason)
            sent = await deliveries.sent_already(session, key)
        # Sent by an earlier attempt, before quiet hours began, say: it was delivered all the same.
        outcome.record(channel, [user_id], "sent" if sent else "skipped", reason)

    async def _deliver(
        self,
        req: NotifyRequest,
        channel: Channel,
        user_ids: list[str],
        send: Callable[[], Awaitable[None]],
        outcome: _Outcome,
        *,
        delivery_user: str | None = None,
    ) -> None:
        key = DeliveryKey(req.notification_key, delivery_user or user_ids[0], channel.value)
        claim = await self._claim(key)
        if not claim.claimed:
            reason = None if claim.status == "sent" else f"held by another attempt ({claim.status})"
            outcome.record(channel, user_ids, "sent" if claim.status == "sent" else "skipped", reason)
            return
        error: str | None = None
        tries = 0
        for delay in (0.0, *self._retry_delays_s):
            if delay:
                await asyncio.sleep(delay)
            tries += 1
            try:
                await send()
            except ChannelFailed as err:
                error = str(err)
            except Exception as err:  # a bug in one channel must not stop the others, nor the incident
                log.exception("notification channel %s crashed", channel.value)
                error = f"{type(err).__name__}: {err}"
            else:
                error = None
                break
        async with self._sessions() as session, session.begin():
            await deliveries.finish(session, key, "failed" if error else "sent", attempts=tries, error=error)
        if error:
            log.warning(
                "notification %s: %s failed after %d tries: %s",
                req.notification_key,
                channel.value,
                tries,
                error,
            )
        outcome.record(channel, user_ids, "failed" if error else "sent", error)

    async def _claim(self, key: DeliveryKey) -> deliveries.Claim:
        """Claims the channel; while another attempt holds it (the worker it ran on may have died), waits
        for that attempt to finish or for its lease to run out."""
        give_up = utcnow() + self.lease + timedelta(seconds=self._claim_poll_s)
        while True:
            async with self._sessions() as session, session.begin():
                claim = await deliveries.claim(session, key, lease=self.lease, now=utcnow())
            if claim.claimed or claim.status != "sending" or utcnow() > give_up:
                return claim
            await asyncio.sleep(self._claim_poll_s)


async def _skipped(
    session: AsyncSession, req: NotifyRequest, channel: Channel, user_id: str, reason: str
) -> bool:
    """Records a skipped channel; True if an earlier attempt had sent it all the same."""
    key = DeliveryKey(req.notification_key, user_id, channel.value)
    await deliveries.finish(session, key, "skipped", error=reason)
    return await deliveries.sent_already(session, key)
