"""The range and buckets a KPI request covers: UTC, [from, to), capped so a series stays small."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.kpis.shape import Bucket

DEFAULT_RANGE = timedelta(days=7)
# A day series of a year and an hour series of a month: a few hundred points at most.
MAX_RANGE: dict[Bucket, timedelta] = {"day": timedelta(days=366), "hour": timedelta(days=31)}
STEP: dict[Bucket, timedelta] = {"day": timedelta(days=1), "hour": timedelta(hours=1)}


class InvalidKpiRange(ValueError):
    """The range is empty, reversed, too long for its bucket, or outside what a datetime holds in UTC.
    `field` names the query parameter at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


@dataclass(frozen=True)
class KpiWindow:
    start: datetime
    end: datetime
    bucket: Bucket

    def bucket_starts(self) -> Iterator[datetime]:
        moment, step = bucket_floor(self.start, self.bucket), STEP[self.bucket]
        while moment < self.end:
            yield moment
            moment += step


def bucket_floor(moment: datetime, bucket: Bucket) -> datetime:
    floored = moment.replace(minute=0, second=0, microsecond=0)
    return floored.replace(hour=0) if bucket == "day" else floored


def _utc(moment: datetime, field: str) -> datetime:
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise InvalidKpiRange(field, f"{moment.isoformat()} is out of range in UTC") from None


def kpi_window(start: datetime | None, end: datetime | None, bucket: Bucket, now: datetime) -> KpiWindow:
    """`end` defaults to now and `start` to 7 days before it; naive times are UTC."""
    end = _utc(end, "to") if end else now
    if start is None:
        if end - datetime.min.replace(tzinfo=UTC) < DEFAULT_RANGE:
            raise InvalidKpiRange("to", f"to ({end.isoformat()}) leaves no room for the default range")
        start = end - DEFAULT_RANGE
    start = _utc(start, "from")
    if start >= end:
        raise InvalidKpiRange("from", f"from ({start.isoformat()}) must be before to ({end.isoformat()})")
    if end - start > MAX_RANGE[bucket]:
        raise InvalidKpiRange(
            "from", f"a {bucket} series covers at most {MAX_RANGE[bucket].days} days; ask for a shorter range"
        )
    if end > datetime.max.replace(tzinfo=UTC) - STEP[bucket]:
        raise InvalidKpiRange("to", f"to ({end.isoformat()}) is too far in the future")
    return KpiWindow(start, end, bucket)
