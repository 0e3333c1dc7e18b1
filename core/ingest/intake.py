"""Durably stores accepted alerts, in batched transactions, answering duplicates of a delivery id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db.micro_batch import MicroBatcher
from core.db.models import Alert, WebhookDelivery, table_of
from core.db.upsert import dialect_of, insert_for

ALERTS = table_of(Alert)
DELIVERIES = table_of(WebhookDelivery)


# Built once and run with parameter lists, so SQLAlchemy compiles each statement once per process.
@lru_cache(maxsize=4)
def _claim_deliveries(dialect: str) -> Any:
    return (
        insert_for(dialect, DELIVERIES)
        .on_conflict_do_nothing()
        .returning(DELIVERIES.c.company_id, DELIVERIES.c.delivery_id)
    )


@lru_cache(maxsize=4)
def _insert_alerts(dialect: str) -> Any:
    return insert_for(dialect, ALERTS)


@dataclass(frozen=True)
class StoredAlert:
    alert_id: str
    duplicate: bool
    incident_id: str | None = None
    # Of the first delivery, for a duplicate: it answers as the first did.
    maintenance_window_id: str | None = None
    disposition: str | None = None


class AlertIntake:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._inserts: MicroBatcher[dict[str, Any], StoredAlert] = MicroBatcher(self._insert_batch)
        self._dispositions: MicroBatcher[tuple[str, str], None] = MicroBatcher(self._dispose_batch)

    async def store(self, row: dict[str, Any]) -> StoredAlert:
        """Commit one alert row unless its (company_id, delivery_id) was seen before."""
        return await self._inserts.submit(row)

    async def set_disposition(self, alert_id: str, disposition: str) -> None:
        await self._dispositions.submit((alert_id, disposition))

    async def _insert_batch(self, rows: list[dict[str, Any]]) -> list[StoredAlert]:
        first_of: dict[tuple[str, str], dict[str, Any]] = {}
        for row in rows:
            first_of.setdefault((row["company_id"], row["delivery_id"]), row)
        async with self._sessions() as session, session.begin():
            dialect = dialect_of(session)
            deliveries = [
                {"company_id": c, "delivery_id": d, "alert_id": r["id"], "received_at": r["received_at"]}
                for (c, d), r in first_of.items()
            ]
            inserted = await session.execute(_claim_deliveries(dialect), deliveries)
            fresh = {(c, d) for c, d in inserted}
            new_rows = _same_keys([first_of[k] for k in fresh])
            if new_rows:
                await session.execute(_insert_alerts(dialect), new_rows)
            seen_before = [k for k in first_of if k not in fresh]
            earlier: dict[tuple[str, str], tuple[str, str | None, str | None, str | None]] = {}
            if seen_before:
                found = await session.execute(
                    select(
                        DELIVERIES.c.company_id,
                        DELIVERIES.c.delivery_id,
                        ALERTS.c.id,
                        ALERTS.c.incident_id,
                        ALERTS.c.maintenance_window_id,
                        ALERTS.c.disposition,
                    )
                    .join(ALERTS, ALERTS.c.id == DELIVERIES.c.alert_id)
                    .where(tuple_(DELIVERIES.c.company_id, DELIVERIES.c.delivery_id).in_(seen_before))
                )
                earlier = {(c, d): (a, i, w, disp) for c, d, a, i, w, disp in found}
        results = []
        for row in rows:
            k = (row["company_id"], row["delivery_id"])
            if k in fresh and first_of[k] is row:
                results.append(StoredAlert(alert_id=row["id"], duplicate=False))
            elif k in fresh:
                first = first_of[k]
                window_id = first.get("maintenance_window_id")
                results.append(StoredAlert(first["id"], duplicate=True, maintenance_window_id=window_id))
            else:
                alert_id, incident_id, window_id, disposition = earlier.get(k, (row["id"], None, None, None))
                results.append(StoredAlert(alert_id, True, incident_id, window_id, disposition))
        return results

    async def _dispose_batch(self, items: list[tuple[str, str]]) -> list[None]:
        async with self._sessions() as session, session.begin():
            for alert_id, disposition in items:
                await session.execute(
                    update(ALERTS)
                    .where(and_(ALERTS.c.id == alert_id, ALERTS.c.incident_id.is_(None)))
                    .values(disposition=disposition)
                )
        return [None] * len(items)


def _same_keys(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the union of their keys: an executemany INSERT takes its columns from the first row, so a
    key only some rows carry (a suppressed alert's maintenance_window_id) would otherwise be dropped."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    return [row if len(row) == len(keys) else {k: row.get(k) for k in keys} for row in rows]


async def purge_deliveries(session: AsyncSession, older_than: datetime) -> int:
    result = await session.execute(delete(DELIVERIES).where(DELIVERIES.c.received_at < older_than))
    return int(getattr(result, "rowcount", 0) or 0)
