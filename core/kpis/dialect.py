"""The few expressions PostgreSQL and SQLite spell differently: UTC buckets, seconds between two times,
times kept as ISO text in JSON, and continuous percentiles per bucket and in total."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Float, Integer, case, cast, func, literal_column, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.db.upsert import dialect_of
from core.kpis.shape import Bucket, Percentiles

POSTGRESQL = "postgresql"
TOTAL = "total"  # the key of the whole range, beside the bucket starts
# Spliced in as SQL text (from these closed sets), not bound: PostgreSQL matches a GROUP BY expression to
# its select-list twin only when both are spelled identically. date_bin from a UTC midnight is plain
# arithmetic on the timestamp, several times cheaper per row than date_trunc after a time-zone conversion.
_PG_STRIDE = {"day": "INTERVAL '1 day'", "hour": "INTERVAL '1 hour'"}
_PG_ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
_SQLITE_FORMAT = {"day": "'%Y-%m-%d 00:00:00'", "hour": "'%Y-%m-%d %H:00:00'"}
_QUANTILES = (0.5, 0.9)


async def tune_for_aggregates(session: AsyncSession) -> None:
    """For the rest of this read-only transaction on PostgreSQL: no JIT, whose compiling costs more than the
    queries themselves (the planner overrates them), and room to group a month of alerts in memory."""
    if dialect_of(session) == POSTGRESQL:
        await session.execute(text("SET LOCAL jit = off"))
        await session.execute(text("SET LOCAL work_mem = '64MB'"))


def bucket_start(dialect: str, moment: Any, bucket: Bucket) -> ColumnElement[Any]:
    """The start of the UTC day or hour holding `moment`: a timestamp on PostgreSQL, text on SQLite (where
    times are stored as UTC text); `as_utc` reads either back."""
    if dialect == POSTGRESQL:
        return func.date_bin(literal_column(_PG_STRIDE[bucket]), moment, literal_column(_PG_ORIGIN))
    return func.strftime(literal_column(_SQLITE_FORMAT[bucket]), moment)


def as_utc(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def json_time(dialect: str, iso_text: ColumnElement[Any]) -> ColumnElement[Any]:
    """An ISO 8601 time held as JSON text, as a time this dialect subtracts."""
    return cast(iso_text, DateTime(timezone=True)) if dialect == POSTGRESQL else iso_text


def seconds_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[Any]:
    if dialect == POSTGRESQL:
        return cast(func.extract("epoch", later - earlier), Float)
    # julianday is a double of days: about 40 microseconds of resolution, far finer than the rounding.
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


async def percentiles_by(
    session: AsyncSession,
    bucket: ColumnElement[Any],
    values: Mapping[str, ColumnElement[Any]],
    where: Sequence[ColumnElement[bool]],
    key: Callable[[Any], Any] = as_utc,
) -> dict[Any, dict[str, Percentiles]]:
    """Median and p90 of each of `values` (NULLs left out), interpolated like percentile_cont, per bucket
    start and for TOTAL. `bucket` may be any grouping column; `key` turns its values into the keys of the
    answer (bucket starts by default).

    PostgreSQL has percentile_cont, and grouping sets for buckets and total in one pass. SQLite has
    neither, so each row is ranked within its group (ROW_NUMBER) and the two ranks around position
    1 + p * (n - 1) are blended."""
    found: dict[Any, dict[str, Percentiles]] = {}
    if dialect_of(session) == POSTGRESQL:
        rows = select(bucket.label("g"), *(v.label(n) for n, v in values.items())).where(*where).subquery()
        query = select(
            func.grouping(rows.c.g),
            rows.c.g,
            *(func.percentile_cont(q).within_group(rows.c[n]) for n in values for q in _QUANTILES),
        ).group_by(func.grouping_sets(rows.c.g, tuple_()))
        for is_total, group, *quantiles in await session.execute(query):
            pairs = zip(quantiles[::2], quantiles[1::2], strict=True)
            found[TOTAL if is_total else key(group)] = {
                name: Percentiles(median=_seconds(p50), p90=_seconds(p90))
                for name, (p50, p90) in zip(values, pairs, strict=True)
            }
        return found
    for group in (bucket, literal_column(f"'{TOTAL}'")):
        for name, value in values.items():
            for found_key, p50, p90 in await session.execute(_ranked_percentiles(group, value, where)):
                point = found.setdefault(found_key if found_key == TOTAL else key(found_key), {})
                point[name] = Percentiles(median=_seconds(p50), p90=_seconds(p90))
    return {key: {n: point.get(n, Percentiles()) for n in values} for key, point in found.items()}


def _ranked_percentiles(group: ColumnElement[Any], value: ColumnElement[Any], where: Sequence[Any]) -> Any:
    rows = select(group.label("g"), value.label("v")).where(*where, value.is_not(None)).subquery()
    ranked = select(
        rows.c.g,
        rows.c.v,
        func.row_number().over(partition_by=rows.c.g, order_by=rows.c.v).label("rank"),
        func.count().over(partition_by=rows.c.g).label("n"),
    ).subquery()
    return select(ranked.c.g, _interpolated(ranked, 0.5), _interpolated(ranked, 0.9)).group_by(ranked.c.g)


def _interpolated(ranked: Any, fraction: float) -> ColumnElement[Any]:
    position = 1.0 + fraction * (ranked.c.n - 1)
    lower = cast(position, Integer)  # positions are >= 1, so truncation is floor
    weight = position - lower
    return func.sum(case((ranked.c.rank == lower, ranked.c.v * (1.0 - weight)), else_=0.0)) + func.sum(
        case((ranked.c.rank == lower + 1, ranked.c.v * weight), else_=0.0)
    )


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def json_time_within(dialect: str, iso_text: ColumnElement[Any], start: datetime, end: datetime) -> Any:
    """An ISO 8601 time held as JSON text lies in [start, end); false when missing."""
    if dialect == POSTGRESQL:
        moment = json_time(dialect, iso_text)
        return (moment >= start) & (moment < end)
    # SQLite compares text, and JSON spells times unlike the bound parameters: compare Julian days.
    moment = func.julianday(iso_text)
    return (moment >= func.julianday(start.isoformat())) & (moment < func.julianday(end.isoformat()))
