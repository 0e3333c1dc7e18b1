"""The KPI queries give the same, hand-computed figures on PostgreSQL (percentile_cont, date_trunc) and on
SQLite, the embedded default (ranked rows, strftime)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db.models import Company
from core.kpis.report import kpi_report
from core.kpis.technicians import technician_figures
from core.kpis.window import kpi_window
from tests.support.kpi_rows import EXPECTED_SERIES, EXPECTED_TOTALS, RANGE, add_known_rows
from tests.support.technician_rows import add_technician_rows, expected_technicians


@pytest.fixture
def database_url(own_database_url: str) -> str:
    """A database of its own: the known rows must be the only rows the figures count."""
    return own_database_url


async def test_known_rows_give_the_same_exact_figures_on_both_databases(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        session.add(Company(id="co_kpi", name="Kpi"))
        add_known_rows(session, "co_kpi")
    window = kpi_window(
        datetime.fromisoformat(RANGE["from"]), datetime.fromisoformat(RANGE["to"]), "day", datetime.now()
    )

    async with sessions() as session:
        report = await kpi_report(session, ["co_kpi"], window, "co_kpi")

    got = report.model_dump(mode="json", by_alias=True)
    assert got["totals"] == EXPECTED_TOTALS
    assert got["series"] == EXPECTED_SERIES


async def test_technician_figures_are_the_same_on_both_databases(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        session.add(Company(id="co_tech", name="Tech"))
        add_technician_rows(session, "co_tech", "usr_first", "usr_second")
    window = kpi_window(
        datetime.fromisoformat(RANGE["from"]), datetime.fromisoformat(RANGE["to"]), "day", datetime.now()
    )

    async with sessions() as session:
        found = await technician_figures(session, ["co_tech"], window)

    assert [f.model_dump() for f in found] == expected_technicians("usr_first", "usr_second")
