"""`GET /api/kpis/technicians` over HTTP on PostgreSQL: known incidents give each assignee's exact figures;
tenants see only their companies' assignees; bad ranges answer 422 with the reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import Client

from core.accounts.roles import Role
from core.settings import Settings
from tests.support.kpi_rows import DAY1, RANGE, KpiRows
from tests.support.signin import bearer
from tests.support.stack import Stack, make_stack
from tests.support.technician_rows import add_technician_rows, expected_technicians


@pytest.fixture
async def api(settings: Settings, temporal_client: Client) -> AsyncIterator[Stack]:
    """The API alone: the figures come from stored rows, which the tests write themselves."""
    running = make_stack(settings, temporal_client)
    await running.start_api()
    yield running
    await running.close()


async def figures(api: Stack, user: dict[str, str], status: int = 200, **params: str) -> Any:
    response = await api.http.get(
        f"{api.url}/api/kpis/technicians", params=params, headers=bearer(user["access_token"])
    )
    assert response.status_code == status, response.text
    return response.json()


async def test_each_assignee_gets_exact_figures_for_the_range(api: Stack) -> None:
    creds = await api.company()
    first = await api.user(Role.technician, [creds.id])
    second = await api.user(Role.technician, [creds.id])
    async with api.services.sessions() as session, session.begin():
        add_technician_rows(session, creds.id, first["id"], second["id"])

    got = await figures(api, first, company_id=creds.id, **RANGE)

    assert got["company_id"] == creds.id
    assert (got["from"], got["to"]) == ("2026-01-05T00:00:00Z", "2026-01-08T00:00:00Z")
    assert got["technicians"] == expected_technicians(first["id"], second["id"])


async def test_a_range_with_nothing_in_it_still_counts_open_incidents(api: Stack) -> None:
    creds = await api.company()
    first = await api.user(Role.technician, [creds.id])
    second = await api.user(Role.technician, [creds.id])
    async with api.services.sessions() as session, session.begin():
        add_technician_rows(session, creds.id, first["id"], second["id"])

    got = await figures(api, first, **{"from": "2025-06-01T00:00:00Z", "to": "2025-06-02T00:00:00Z"})

    assert [
        (t["open_now"], t["resolved"], t["sla_breaches"], t["mtta_median_seconds"])
        for t in got["technicians"]
    ] == [
        (1, 0, 0, None),
        (1, 0, 0, None),
    ]


async def test_a_tenant_sees_only_its_companies_assignees_and_another_tenants_company_is_404(
    api: Stack,
) -> None:
    mine, other = await api.company("Mine"), await api.company("Other")
    tech = await api.user(Role.technician, [mine.id])
    theirs = await api.user(Role.technician, [other.id])
    async with api.services.sessions() as session, session.begin():
        KpiRows(session, mine.id).incident(DAY1 + timedelta(hours=2), ack_after=30, assignee=tech["id"])
        KpiRows(session, other.id).incident(DAY1 + timedelta(hours=3), ack_after=90, assignee=theirs["id"])
    msp = await api.user(Role.msp_admin, [])

    assert [t["user_id"] for t in (await figures(api, tech, **RANGE))["technicians"]] == [tech["id"]]
    assert await figures(api, tech, 404, company_id=other.id, **RANGE) == {"detail": f"no company {other.id}"}
    across = {
        t["user_id"]: t["mtta_median_seconds"] for t in (await figures(api, msp, **RANGE))["technicians"]
    }
    assert across[tech["id"]] == 30.0 and across[theirs["id"]] == 90.0


async def test_a_reversed_range_answers_422_with_the_reason(api: Stack) -> None:
    creds = await api.company()
    tech = await api.user(Role.technician, [creds.id])

    errors = (
        await figures(api, tech, 422, **{"from": "2026-01-06T00:00:00Z", "to": "2026-01-05T00:00:00Z"})
    )["detail"]

    assert [e["loc"] for e in errors] == [["query", "from"]]
    assert "must be before to" in errors[0]["msg"]
