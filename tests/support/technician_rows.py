"""Incidents of two assignees around the KPI range of tests/support/kpi_rows.py, with the per-technician
figures they make worked out by hand (tests/api/test_technician_kpis.py, tests/core/test_kpis_parity.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tests.support.kpi_rows import DAY1, DAY3, KpiRows

H, M = timedelta(hours=1), timedelta(minutes=1)


def add_technician_rows(session: AsyncSession, company_id: str, first: str, second: str) -> None:
    rows = KpiRows(session, company_id)
    # `first`: three resolved in the range and one open; acknowledged in the range: 60, 120, 300 s.
    rows.incident(DAY1 + 10 * H, ack_after=60, resolve_after=600, assignee=first)
    rows.incident(
        DAY1 + 12 * H,
        ack_after=120,
        resolve_after=1200,
        breached_at=(DAY1 + 12 * H + 15 * M, None),
        assignee=first,
    )
    rows.incident(DAY1 + 14 * H, ack_after=300, assignee=first)
    # Opened and acknowledged before the range, resolved in it: its response breach is before the range.
    rows.incident(
        DAY1 - H,
        ack_after=10,
        resolve_after=7200,
        breached_at=(DAY1 - 30 * M, DAY1 + 30 * M),
        assignee=first,
    )
    # Resolved long before the range: no figure.
    rows.incident(DAY1 - 30 * 24 * H, ack_after=5, resolve_after=50, assignee=first)
    # `second`: one open escalated incident that breached both clocks; one acknowledged in the range and
    # resolved after it; a pending one (not surfaced) and a void one, neither open.
    rows.incident(
        DAY3 + 9 * H, status="escalated", breached_at=(DAY3 + 9 * H + 20 * M, DAY3 + 13 * H), assignee=second
    )
    rows.incident(DAY3 + 23 * H, ack_after=60, resolve_after=7200, assignee=second)
    rows.incident(DAY3, status="pending", assignee=second)
    rows.incident(DAY3, status="void", assignee=second)
    # Nobody's.
    rows.incident(DAY1 + 11 * H, ack_after=1, resolve_after=2, breached_at=(DAY1 + 11 * H, None))


def expected_technicians(first: str, second: str) -> list[dict[str, Any]]:
    figures = {
        first: {
            "user_id": first,
            "open_now": 1,
            "resolved": 3,
            "mtta_median_seconds": 120.0,  # [60, 120, 300]
            "mttr_median_seconds": 1200.0,  # [600, 1200, 7200]
            "sla_breaches": 2,
        },
        second: {
            "user_id": second,
            "open_now": 1,
            "resolved": 0,
            "mtta_median_seconds": 60.0,
            "mttr_median_seconds": None,
            "sla_breaches": 2,
        },
    }
    return [figures[user_id] for user_id in sorted(figures)]
