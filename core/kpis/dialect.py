"""The few expressions PostgreSQL and SQLite spell differently: UTC buckets, seconds between two times,
times kept as ISO text in JSON, and continuous percentiles per group."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Float, Integer, case, cast, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.db.upsert import dialect_of
from core.kpis.shape import Bucket, Percentiles

POSTGRESQL = "postgresql"
# Bucket units are spliced in as SQL text (from this closed set), not bound: PostgreSQL matches a
# GROUP BY expression to its select-list twin only when both are spelled identically.
_PG_UNIT = {"day": "'day'", "hour": "'hour'"}
_SQLITE_FORMAT = {"day": "'%Y-%m-%d 00:00:00'", "hour": "'%Y-%m-%d %H:00:00'"}


def bucket_start(dialect: str, moment: Any, bucket: Bucket) -> ColumnElement[Any]:
    """The start of the UTC day or hour holding `moment`: a naive timestamp on PostgreSQL, text on SQLite
    (where times are stored as UTC text); `as_utc` reads either back."""
    if dialect == POSTGRESQL:
        return func.date_trunc(
            literal_column(_PG_UNIT[bucket]), func.timezone(literal_column("'UTC'"), moment)
        )
    return func.strftime(literal_column(_SQLITE_FORMAT[bucket]), moment)


async def tune_for_aggregates(session: AsyncSession) -> None:
    """For the rest of this read-only transaction on PostgreSQL: no JIT, whose compiling cost more than the
    queries themselves (the planner overrates them), and room to group a month of alerts in memory."""
    if dialect_of(session) == POSTGRESQL:
        await session.execute(text("SET LOCAL jit = off"))
        await session.execute(text("SET LOCAL work_mem = '64MB'"))


def as_utc(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def json_time(dialect: str, text: ColumnElement[Any]) -> ColumnElement[Any]:
    """An ISO 8601 time held as JSON text, as a time this dialect subtracts."""
    return cast(text, DateTime(timezone=True)) if dialect == POSTGRESQL else text


def seconds_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[Any]:
    if dialect == POSTGRESQL:
        return cast(func.extract("epoch", later - earlier), Float)
    # julianday is a double of days: about 40 microseconds of resolution, far finer than the rounding.
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


async def percentiles_by(
    session: AsyncSession,
    group: ColumnElement[Any],
    value: ColumnElement[Any],
    where: Sequence[ColumnElement[bool]],
) -> dict[Any, Percentiles]:
    """Median and p90 of `value` (its NULLs left out) per `group`, interpolated like percentile_cont.

    PostgreSQL has percentile_cont. SQLite has no ordered-set aggregates, so each row is ranked within
    its group (ROW_NUMBER) and the two ranks around position 1 + p * (n - 1) are blended."""
    rows = select(group.label("g"), value.label("v")).where(*where, value.is_not(None)).subquery()
    if dialect_of(session) == POSTGRESQL:
        query = select(
            rows.c.g,
            func.percentile_cont(0.5).within_group(rows.c.v),
            func.percentile_cont(0.9).within_group(rows.c.v),
        ).group_by(rows.c.g)
    else:
        ranked = select(
            rows.c.g,
            rows.c.v,
            func.row_number().over(partition_by=rows.c.g, order_by=rows.c.v).label("rank"),
            func.count().over(partition_by=rows.c.g).label("n"),
        ).subquery()
        query = select(ranked.c.g, _interpolated(ranked, 0.5), _interpolated(ranked, 0.9)).group_by(
            ranked.c.g
        )
    result = await session.execute(query)
    return {g: Percentiles(median=_seconds(p50), p90=_seconds(p90)) for g, p50, p90 in result}


def _interpolated(ranked: Any, fraction: float) -> ColumnElement[Any]:
    position = 1.0 + fraction * (ranked.c.n - 1)
    lower = cast(position, Integer)  # positions are >= 1, so truncation is floor
    weight = position - lower
    return func.sum(case((ranked.c.rank == lower, ranked.c.v * (1.0 - weight)), else_=0.0)) + func.sum(
        case((ranked.c.rank == lower + 1, ranked.c.v * weight), else_=0.0)
    )


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)
