"""Alerts stored but in no incident yet: which to redeliver (fairly across companies), how their failed
attempts are counted, and setting aside (and releasing) those that keep failing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, literal, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.db.models import Alert, table_of
from workflows.types import AlertRef, AlertStatus, Severity

ALERTS = table_of(Alert)
# Accepted, but routing it kept failing: set aside with the reason (`delivery_error`) until an operator
# retries it (POST /api/alerts/{id}/retry). Redelivery skips it; nothing is dropped.
UNDELIVERABLE = "undeliverable"
MAX_ERROR = 500


def alert_ref(alert: Alert) -> AlertRef:
    """What an incident workflow is handed of a stored alert. Raises ValueError for a row it cannot take."""
    return AlertRef(
        id=alert.id,
        received_at=alert.received_at,
        severity=Severity(alert.severity),
        status=AlertStatus(alert.status),
        tool_source=alert.tool_source,
        fingerprint=alert.fingerprint,
        asset_name=alert.asset_name,
        asset_id=alert.asset_id,
        signature=alert.signature,
        category=alert.category,
        summary=alert.message[:200],
    )


def _unrouted(received_before: datetime) -> list[ColumnElement[bool]]:
    return [
        ALERTS.c.incident_id.is_(None),
        ALERTS.c.disposition.is_(None),
        ALERTS.c.received_at < received_before,
    ]


async def unrouted_alerts(
    session: AsyncSession,
    received_before: datetime,
    limit: int,
    *,
    not_tried_since: datetime | None = None,
) -> list[Alert]:
    """Up to `limit` alerts in no incident and with no disposition, received before `received_before`.

    Fair across companies: each company's oldest first, then each one's second oldest, and so on, so a
    backlog of one tenant cannot keep another tenant's alerts waiting. With `not_tried_since`, only alerts
    not handed over since then (a pass pages through the backlog without seeing an alert twice).
    """
    conditions = _unrouted(received_before)
    if not_tried_since is not None:
        conditions.append(or_(ALERTS.c.last_attempt_at.is_(None), ALERTS.c.last_attempt_at < not_tried_since))
    turn = (
        func.row_number()
        .over(partition_by=ALERTS.c.company_id, order_by=(ALERTS.c.received_at, ALERTS.c.id))
        .label("turn")
    )
    ranked = select(ALERTS.c.id, ALERTS.c.received_at, turn).where(*conditions).subquery()
    chosen = (
        select(ranked.c.id)
        .where(ranked.c.turn <= limit)
        .order_by(ranked.c.turn, ranked.c.received_at, ranked.c.id)
        .limit(limit)
    )
    ids = list((await session.execute(chosen)).scalars())
    if not ids:
        return []
    rows = await session.execute(select(Alert).where(ALERTS.c.id.in_(ids)))
    by_id = {alert.id: alert for alert in rows.scalars()}
    return [by_id[i] for i in ids if i in by_id]


async def claim_unrouted(
    session: AsyncSession, received_before: datetime, pass_started: datetime, limit: int
) -> list[Alert]:
    """The next page of a pass (see `unrouted_alerts`), marked as handed over now."""
    alerts = await unrouted_alerts(session, received_before, limit, not_tried_since=pass_started)
    if alerts:
        await session.execute(
            update(ALERTS).where(ALERTS.c.id.in_([a.id for a in alerts])).values(last_attempt_at=pass_started)
        )
    return alerts


@dataclass(frozen=True)
class FailedDelivery:
    alert_id: str
    reason: str
    counts: bool  # False for Temporal being briefly unavailable: that says nothing about the alert


async def record_failures(
    session: AsyncSession, failures: Iterable[FailedDelivery], max_attempts: int
) -> int:
    """Counts failed attempts; an alert that reached `max_attempts` is set aside. Returns how many were."""
    quarantined = 0
    for failure in failures:
        reason = failure.reason[:MAX_ERROR]
        still_unrouted = and_(ALERTS.c.id == failure.alert_id, ALERTS.c.incident_id.is_(None))
        if not failure.counts:
            await session.execute(update(ALERTS).where(still_unrouted).values(delivery_error=reason))
            continue
        attempts = ALERTS.c.delivery_attempts + 1
        result = await session.execute(
            update(ALERTS)
            .where(still_unrouted, ALERTS.c.disposition.is_(None))
            .values(
                delivery_attempts=attempts,
                delivery_error=reason,
                disposition=case((attempts >= max_attempts, literal(UNDELIVERABLE)), else_=null()),
            )
            .returning(ALERTS.c.disposition)
        )
        quarantined += sum(1 for (disposition,) in result if disposition == UNDELIVERABLE)
    return quarantined


async def release_for_retry(session: AsyncSession, alert_id: str) -> bool:
    """An operator's retry of an undeliverable alert: it is routed again, with a fresh count of attempts.
    False when the alert is not (or no longer) undeliverable."""
    result = await session.execute(
        update(ALERTS)
        .where(
            ALERTS.c.id == alert_id,
            ALERTS.c.disposition == UNDELIVERABLE,
            ALERTS.c.incident_id.is_(None),
        )
        .values(disposition=None, delivery_attempts=0, delivery_error=None, last_attempt_at=None)
    )
    return bool(getattr(result, "rowcount", 0))
