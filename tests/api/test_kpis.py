"""`GET /api/kpis` over HTTP on PostgreSQL: known rows give exact figures, as totals and as a series with
its empty buckets; tenants see only their own; bad ranges answer 422 with the reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.accounts.roles import Role
from tests.support.kpi_rows import (
    DAY1,
    EMPTY,
    EXPECTED_SERIES,
    EXPECTED_TOTALS,
    RANGE,
    KpiRows,
    add_known_rows,
)
from tests.support.signin import bearer
from tests.support.stack import Stack, TenantCreds


async def known_company(api: Stack) -> TenantCreds:
    creds = await api.company()
    async with api.services.sessions() as session, session.begin():
        add_known_rows(session, creds.id)
    return creds


async def kpis(api: Stack, user: dict[str, str], status: int = 200, **params: str) -> Any:
    response = await api.http.get(f"{api.url}/api/kpis", params=params, headers=bearer(user["access_token"]))
    assert response.status_code == status, response.text
    return response.json()


async def test_known_rows_give_exact_totals_and_a_day_series_with_the_empty_day(api: Stack) -> None:
    creds = await known_company(api)
    tech = await api.user(Role.technician, [creds.id])

    got = await kpis(api, tech, company_id=creds.id, bucket="day", **RANGE)

    assert got["company_id"] == creds.id and got["bucket"] == "day"
    assert (got["from"], got["to"]) == ("2026-01-05T00:00:00Z", "2026-01-08T00:00:00Z")
    assert got["totals"] == EXPECTED_TOTALS
    assert got["series"] == EXPECTED_SERIES


async def test_hour_buckets_cover_the_range_and_count_each_hour(api: Stack) -> None:
    creds = await known_company(api)
    tech = await api.user(Role.technician, [creds.id])
    start = DAY1 + timedelta(hours=9, minutes=30)  # a partial first hour still gets its bucket

    got = await kpis(
        api,
        tech,
        company_id=creds.id,
        bucket="hour",
        **{"from": start.isoformat(), "to": "2026-01-05T13:00:00Z"},
    )

    starts = [p["bucket_start"] for p in got["series"]]
    assert starts == [
        "2026-01-05T09:00:00Z",
        "2026-01-05T10:00:00Z",
        "2026-01-05T11:00:00Z",
        "2026-01-05T12:00:00Z",
    ]
    by_hour = {p["bucket_start"][11:13]: p for p in got["series"]}
    assert by_hour["09"] | {"bucket_start": None} == EMPTY | {"bucket_start": None}
    assert (by_hour["10"]["alerts_received"], by_hour["10"]["alerts_duplicate"]) == (4, 2)
    assert by_hour["10"]["incidents_opened"] == 1 and by_hour["10"]["mtta_seconds"]["median"] == 60.0
    assert by_hour["11"]["alerts_received"] == 0 and by_hour["11"]["approval_wait_seconds"]["median"] == 30.0
    assert by_hour["12"]["mttr_seconds"] == {"median": 1200.0, "p90": 1200.0}
    assert got["totals"]["alerts_received"] == sum(p["alerts_received"] for p in got["series"]) == 6


async def test_a_tenant_sees_only_its_companies_and_another_tenants_company_is_404(api: Stack) -> None:
    mine = await known_company(api)
    other = await api.company("Other")
    async with api.services.sessions() as session, session.begin():
        rows = KpiRows(session, other.id)
        rows.alert(DAY1 + timedelta(hours=3), rows.incident(DAY1 + timedelta(hours=3), ack_after=5), "x")
    tech = await api.user(Role.technician, [mine.id])
    both = await api.user(Role.technician, [mine.id, other.id])

    assert (await kpis(api, tech, **RANGE))["totals"] == EXPECTED_TOTALS  # company_id omitted: mine only
    assert await kpis(api, tech, 404, company_id=other.id, **RANGE) == {"detail": f"no company {other.id}"}
    across = (await kpis(api, both, **RANGE))["totals"]
    assert (across["alerts_received"], across["incidents_opened"]) == (14, 5)
    assert across["mtta_seconds"]["median"] == 60.0  # [5, 30, 60, 120, 300]
    assert (await kpis(api, both, **RANGE))["company_id"] is None


@pytest.mark.parametrize(
    ("params", "field", "reason"),
    [
        ({"from": "2026-01-05T00:00:00Z", "to": "2026-01-05T00:00:00Z"}, "from", "must be before to"),
        ({"from": "2026-01-06T00:00:00Z", "to": "2026-01-05T00:00:00Z"}, "from", "must be before to"),
        (
            {"from": "2026-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z", "bucket": "hour"},
            "from",
            "at most 31",
        ),
        ({"from": "2024-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from", "at most 366"),
        ({"bucket": "week"}, "bucket", "'day' or 'hour'"),
        ({"from": "yesterday"}, "from", "ISO 8601"),
        ({"to": "1700000000"}, "to", "ISO 8601"),
        ({"from": "0001-01-01T00:00:00+05:00"}, "from", "out of range in UTC"),
    ],
)
async def test_bad_ranges_and_buckets_answer_422_with_the_reason(
    api: Stack, params: dict[str, str], field: str, reason: str
) -> None:
    creds = await api.company()
    tech = await api.user(Role.technician, [creds.id])

    errors = (await kpis(api, tech, 422, **params))["detail"]

    assert [e["loc"] for e in errors] == [["query", field]]
    assert reason in errors[0]["msg"]


async def test_the_default_range_is_the_last_seven_days_in_day_buckets(api: Stack) -> None:
    creds = await api.company()
    tech = await api.user(Role.technician, [creds.id])

    got = await kpis(api, tech, company_id=creds.id)

    assert got["bucket"] == "day" and len(got["series"]) == 8  # 7 days from a time of day: 8 dates
    assert got["totals"] == EMPTY
