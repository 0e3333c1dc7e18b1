"""Sends a notification on every channel its users chose: in-app, email (SMTP), Slack (the company's
incoming webhook). The incident workflow calls it for assignments, SLA warnings and breaches, escalations
and approval requests; `dispatch_outbox` sends the notices written with the change they announce (the
first assignment, written with the incident: core/notifications/outbox.py).

It raises only for database trouble, for Temporal to retry; each channel is sent at most once per
(notification key, user), so a retry or a repeated request sends nothing twice. A channel that fails is
tried a few times within the attempt, then recorded as failed and listed in the result, never raised: a
notification never holds up an incident. Suggested options: start_to_close_timeout of 5 minutes (more
than a claim's lease, `Dispatcher.lease`), the default retry policy.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from core.notifications.dispatcher import RETRY_DELAYS_S, Dispatcher
from core.notifications.outbox import Doorbell, OutboxDispatcher
from core.security import SecretBox
from core.settings import Settings
from workflows.notifications.types import NotifyRequest, NotifyResult, OutboxWatch, OutboxWatchResult


class Notifier:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        box: SecretBox | None = None,
        retry_delays_s: Sequence[float] = RETRY_DELAYS_S,
        doorbell: Doorbell | None = None,
    ) -> None:
        self._dispatcher = Dispatcher(
            sessions, settings, box or SecretBox(settings.secret_key), retry_delays_s=retry_delays_s
        )
        self._outbox = OutboxDispatcher(sessions, self._dispatcher, doorbell or Doorbell())

    @activity.defn(name="notify")
    async def notify(self, req: NotifyRequest) -> NotifyResult:
        result = await self._dispatcher.dispatch(req)
        if result.failed:
            activity.logger.warning("notification %s: failed %s", req.notification_key, result.failed)
        return result

    @activity.defn(name="dispatch_notification_outbox")
    async def dispatch_outbox(self, req: OutboxWatch) -> OutboxWatchResult:
        """Sends the outbox's notices for `req.seconds`, heartbeating: if its worker dies, the loop's next
        attempt runs on another worker, and the rows this one held come due again."""
        return await self._outbox.watch(req, activity.heartbeat)
