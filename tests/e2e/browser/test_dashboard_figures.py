"""The dashboard's key figures in Chromium against the real stack: the cards show what GET /api/kpis
answers for the same period, the charts draw them, and the figures follow new alerts without a reload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect

from tests.support.browser import live, screenshot, serious_accessibility_violations, sign_in
from tests.support.healing import tenant, until
from tests.support.signin import bearer
from tests.support.stack import Stack, accepted, alert_body


async def test_the_cards_show_the_api_figures_and_follow_new_alerts(web: Stack, page: Page) -> None:
    creds, admin, _ = await tenant(web, automation=False)
    # Three alerts of one series: one incident, so two thirds of the noise is gone.
    incident_id = await web.incident_of(await web.post_alert(creds, alert_body(asset_name="db-kpi")))
    for _ in range(2):
        accepted(await web.post_alert(creds, alert_body(asset_name="db-kpi")))
    await until(web, admin, incident_id, lambda i: i["alert_count"] == 3)
    as_admin = bearer(admin["access_token"])
    for action in ("acknowledge", "resolve"):
        url = f"{web.url}/api/incidents/{incident_id}/{action}"
        done = await web.http.post(url, json={}, headers=as_admin)
        assert done.status_code == 200, done.text
    await web.client.get_workflow_handle(incident_id).result()

    now = datetime.now(UTC)
    answer = await web.http.get(
        f"{web.url}/api/kpis",
        params={"from": (now - timedelta(days=7)).isoformat(), "to": now.isoformat(), "bucket": "day"},
        headers=as_admin,
    )
    totals = answer.json()["totals"]
    assert (totals["alerts_received"], totals["incidents_opened"]) == (3, 1)
    assert round(totals["noise_reduction"], 1) == 66.7 and totals["mttr_seconds"]["median"] is not None

    await sign_in(page, web.url, admin)
    await live(page)
    cards = page.get_by_test_id("kpi-cards")
    await expect(cards.get_by_role("listitem").filter(has_text="Noise reduction")).to_contain_text("66.7 %")
    await expect(cards.get_by_role("listitem").filter(has_text="SLA compliance")).to_contain_text(
        f"{totals['sla_compliance']:.1f} %"
    )
    await expect(page.get_by_text("3 alerts received, 1 incident opened in this period.")).to_be_visible()
    for chart in ("Noise reduction per period", "MTTR (median) per period"):
        drawn = page.get_by_role("img", name=chart)
        # Today's figure is the only one in the week: drawn as a dot, a line needs two.
        await expect(drawn.locator(".recharts-line-dot")).to_have_count(1)
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "dashboard-figures")

    # A new series opens a new incident: the figures refresh on the live event (at most every 5 s).
    accepted(await web.post_alert(creds, alert_body(asset_name="web-kpi")))
    await expect(page.get_by_text("4 alerts received, 2 incidents opened in this period.")).to_be_visible(
        timeout=20_000
    )
    await expect(cards.get_by_role("listitem").filter(has_text="Noise reduction")).to_contain_text("50.0 %")
