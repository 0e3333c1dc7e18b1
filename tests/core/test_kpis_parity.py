"""The KPI queries give the same, hand-computed figures on PostgreSQL (percentile_cont, date_trunc) and on
SQLite, the embedded default (ranked rows, strftime)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db.engine import create_engine, session_factory
from core.db.migrate import upgrade_to_head
from core.db.models import Company
from core.kpis.report import kpi_report
from core.kpis.technicians import technician_figures
from core.kpis.window import kpi_window
from tests.support.kpi_rows import EXPECTED_SERIES, EXPECTED_TOTALS, RANGE, add_known_rows
from tests.support.technician_rows import add_technician_rows, expected_technicians


@pytest.fixture(params=["postgresql", "sqlite"])
async def sessions(
    request: pytest.FixtureRequest, own_database_url: str, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    url = own_database_url
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'kpis.db'}"
        await asyncio.to_thread(upgrade_to_head, url)
    engine = create_engine(url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


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
