"""The raw alert stream: every stored alert of some companies, newest first, each with what became of it.

An alert's disposition is derived in SQL, so the stream can filter on it:
- `correlated`: in an incident, the first of its series (fingerprint) there;
- `duplicate`: in an incident that already had an alert of its series (the KPIs count these too);
- `suppressed`, `no_open_incident`, `undeliverable`: in no incident, on purpose (stored with the alert);
- `unrouted`: accepted, not in its incident yet (redelivery keeps trying).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import and_, case, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from core.db.models import Alert

Disposition = Literal[
    "correlated", "duplicate", "suppressed", "no_open_incident", "undeliverable", "unrouted"
]
DISPOSITIONS: tuple[str, ...] = get_args(Disposition)


class InvalidCursor(ValueError):
    """Not a cursor this stream handed out."""


def _earlier_of_same_series() -> ColumnElement[bool]:
    earlier = aliased(Alert)
    return (
        select(literal(1))
        .where(
            col(earlier.incident_id) == col(Alert.incident_id),
            col(earlier.fingerprint) == col(Alert.fingerprint),
            or_(
                col(earlier.received_at) < col(Alert.received_at),
                and_(col(earlier.received_at) == col(Alert.received_at), col(earlier.id) < col(Alert.id)),
            ),
        )
        .exists()
    )


def disposition_of_alert() -> ColumnElement[str]:
    return case(
        (col(Alert.disposition).is_not(None), col(Alert.disposition)),
        (col(Alert.incident_id).is_(None), literal("unrouted")),
        (_earlier_of_same_series(), literal("duplicate")),
        else_=literal("correlated"),
    )


@dataclass(frozen=True)
class StreamFilter:
    company_ids: Sequence[str] | None  # None: every company
    disposition: Disposition | None = None
    asset: str | None = None  # an asset's name or id
    received_from: datetime | None = None  # inclusive
    received_to: datetime | None = None  # exclusive


@dataclass(frozen=True)
class StreamPage:
    alerts: list[tuple[Alert, str]]  # each with its disposition
    next_cursor: str | None


def _conditions(wanted: StreamFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.company_ids is not None:
        conditions.append(col(Alert.company_id).in_(sorted(wanted.company_ids)))
    if wanted.disposition is not None:
        conditions.append(disposition_of_alert() == wanted.disposition)
    if wanted.asset is not None:
        conditions.append(or_(col(Alert.asset_name) == wanted.asset, col(Alert.asset_id) == wanted.asset))
    if wanted.received_from is not None:
        conditions.append(col(Alert.received_at) >= wanted.received_from)
    if wanted.received_to is not None:
        conditions.append(col(Alert.received_at) < wanted.received_to)
    return conditions


async def alert_page(
    session: AsyncSession, wanted: StreamFilter, limit: int, cursor: str | None = None
) -> StreamPage:
    """Newest first; `cursor` (from the previous page) continues after that page, stable while alerts
    keep arriving."""
    query = select(Alert, disposition_of_alert()).where(*_conditions(wanted))
    if cursor is not None:
        received_at, alert_id = _decode(cursor)
        query = query.where(
            or_(
                col(Alert.received_at) < received_at,
                and_(col(Alert.received_at) == received_at, col(Alert.id) < alert_id),
            )
        )
    rows = await session.execute(
        query.order_by(col(Alert.received_at).desc(), col(Alert.id).desc()).limit(limit)
    )
    alerts = [(alert, str(disposition)) for alert, disposition in rows]
    last = alerts[-1][0] if len(alerts) == limit else None
    return StreamPage(alerts, _encode(last.received_at, last.id) if last else None)


async def disposition_of(session: AsyncSession, alert_id: str) -> str:
    query = select(disposition_of_alert()).where(col(Alert.id) == alert_id)
    return str((await session.execute(query)).scalar_one())


def _encode(received_at: datetime, alert_id: str) -> str:
    raw = {"at": received_at.isoformat(), "id": alert_id}
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode()


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        raw: Any = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        moment = datetime.fromisoformat(raw["at"])
        if moment.tzinfo is None or not isinstance(raw["id"], str):
            raise ValueError("not ours")
        return moment, raw["id"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor("not a cursor this stream returned") from None
