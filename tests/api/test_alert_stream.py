"""`GET /api/alerts` over HTTP on PostgreSQL: every alert, newest first, each with its disposition, filtered
by company, disposition, asset and time, paged by cursor; the duplicates agree with the KPIs' count."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from core.accounts.roles import Role
from tests.support.kpi_rows import DAY1, EXPECTED_TOTALS, RANGE, KpiRows, add_known_rows
from tests.support.signin import bearer
from tests.support.stack import Stack

H = timedelta(hours=1)


async def listed(api: Stack, user: dict[str, str], status: int = 200, **params: Any) -> Any:
    response = await api.http.get(
        f"{api.url}/api/alerts", params=params, headers=bearer(user["access_token"])
    )
    assert response.status_code == status, response.text
    return response


async def test_every_alert_comes_newest_first_with_what_became_of_it(api: Stack) -> None:
    creds = await api.company()
    async with api.services.sessions() as session, session.begin():
        rows = KpiRows(session, creds.id)
        incident = rows.incident(DAY1)
        first = rows.alert(DAY1, incident, "cpu")
        repeat = rows.alert(DAY1 + H, incident, "cpu")
        other_series = rows.alert(DAY1 + 2 * H, incident, "disk")
        quiet = rows.alert(DAY1 + 3 * H, disposition="suppressed", asset="db-1")
        late = rows.alert(DAY1 + 4 * H, disposition="no_open_incident")
        failing = rows.alert(DAY1 + 5 * H, disposition="undeliverable")
        waiting = rows.alert(DAY1 + 6 * H)
    tech = await api.user(Role.technician, [creds.id])

    got = (await listed(api, tech)).json()

    assert [(a["id"], a["disposition"]) for a in got] == [
        (waiting, "unrouted"),
        (failing, "undeliverable"),
        (late, "no_open_incident"),
        (quiet, "suppressed"),
        (other_series, "correlated"),
        (repeat, "duplicate"),
        (first, "correlated"),
    ]
    assert got[3]["asset_name"] == "db-1" and got[5]["incident_id"] == incident
    one = await api.http.get(f"{api.url}/api/alerts/{repeat}", headers=bearer(tech["access_token"]))
    assert one.json()["disposition"] == "duplicate"
    by_filter = {
        "duplicate": [repeat],
        "correlated": [other_series, first],
        "suppressed": [quiet],
        "undeliverable": [failing],
    }
    for disposition, ids in by_filter.items():
        assert [a["id"] for a in (await listed(api, tech, disposition=disposition)).json()] == ids
    assert [a["id"] for a in (await listed(api, tech, asset="db-1")).json()] == [quiet]
    window = {"from": (DAY1 + H).isoformat(), "to": (DAY1 + 3 * H).isoformat()}
    assert [a["id"] for a in (await listed(api, tech, **window)).json()] == [other_series, repeat]


async def test_pages_follow_the_cursor_without_gaps_or_repeats_and_the_last_has_none(api: Stack) -> None:
    creds = await api.company()
    async with api.services.sessions() as session, session.begin():
        rows = KpiRows(session, creds.id)
        # Two alerts at each moment: the cursor's tie-break on id must keep both.
        made = [rows.alert(DAY1 + (n // 2) * H) for n in range(7)]
    tech = await api.user(Role.technician, [creds.id])

    seen, pages, cursor = [], 0, None
    while True:
        page = await listed(api, tech, limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [a["id"] for a in page.json()]
        pages += 1
        cursor = page.headers.get("X-Next-Cursor")
        if cursor is None:
            break

    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen)) == 7
    assert pages == 3
    bad = (await listed(api, tech, 422, cursor="bm90LWEtY3Vyc29y")).json()["detail"]
    assert bad[0]["loc"] == ["query", "cursor"]
    early = (await listed(api, tech, 422, **{"from": "0001-01-01T00:00:00+05:00"})).json()["detail"]
    assert early[0]["loc"] == ["query", "from"]


async def test_a_tenant_sees_only_its_alerts_and_another_tenants_company_is_404(api: Stack) -> None:
    mine, other = await api.company(), await api.company("Other")
    async with api.services.sessions() as session, session.begin():
        own = KpiRows(session, mine.id).alert(DAY1)
        KpiRows(session, other.id).alert(DAY1)
    tech = await api.user(Role.technician, [mine.id])

    assert [a["id"] for a in (await listed(api, tech)).json()] == [own]
    assert (await listed(api, tech, 404, company_id=other.id)).json() == {"detail": f"no company {other.id}"}


async def test_the_streams_dispositions_add_up_to_the_kpis_figures(api: Stack) -> None:
    creds = await api.company()
    async with api.services.sessions() as session, session.begin():
        add_known_rows(session, creds.id)
    tech = await api.user(Role.technician, [creds.id])

    alerts = (await listed(api, tech, company_id=creds.id, limit=500, **RANGE)).json()

    counted = Counter(a["disposition"] for a in alerts)
    assert len(alerts) == EXPECTED_TOTALS["alerts_received"]
    assert counted["duplicate"] == EXPECTED_TOTALS["alerts_duplicate"]
    assert counted["suppressed"] == EXPECTED_TOTALS["alerts_suppressed"]
