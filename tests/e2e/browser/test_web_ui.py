"""The dashboard in headless Chromium against the real stack: sign-in that survives a reload, an incident
that appears live, a one-click approval that runs a runbook, tenant isolation, the Temporal link, and
axe-core on every page built. Screenshots land in tests/artifacts/screenshots/."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.async_api import BrowserContext, Page, expect

from core.accounts.roles import Role
from tests.support.browser import (
    live,
    screenshot,
    serious_accessibility_violations,
    sign_in,
    signed_in_technician,
)
from tests.support.healing import Trace, open_incident, remediation_is, runbook, tenant, until
from tests.support.signin import bearer
from tests.support.stack import Stack, accepted, alert_body, make_stack


async def test_sign_in_survives_a_reload_and_sign_out_ends_it(web: Stack, page: Page) -> None:
    creds = await web.company()
    admin = await web.user(Role.company_admin, [creds.id])
    await page.goto(f"{web.url}/")
    await expect(page.get_by_role("heading", name="Sign in to Alert Whisperer")).to_be_visible()
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "login")

    await page.get_by_label("Email").fill(admin["email"])
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("email or password is wrong")

    # Keyboard only: Tab into the form, type, Enter.
    await page.reload()
    await expect(page.get_by_label("Email")).to_be_visible()
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "email"
    await page.keyboard.type(admin["email"])
    await page.keyboard.press("Tab")
    await page.keyboard.type(admin["password"])
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=15_000)
    await page.reload()
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=15_000)
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in to Alert Whisperer")).to_be_visible()
    await page.reload()
    await expect(page.get_by_role("heading", name="Sign in to Alert Whisperer")).to_be_visible()


async def test_a_signed_webhook_puts_its_incident_on_the_open_dashboard_without_a_reload(
    web: Stack, page: Page
) -> None:
    creds, _ = await signed_in_technician(web, page)
    await live(page)
    await expect(page.get_by_text("No incidents yet")).to_be_visible()

    asset = f"db-{uuid.uuid4().hex[:6]}"
    accepted(await web.post_alert(creds, alert_body(asset_name=asset, severity="critical")))
    feed = page.get_by_test_id("incident-feed")
    # The bar: on screen within 2 s of the webhook's answer, with no reload.
    await expect(feed.get_by_text(asset)).to_be_visible(timeout=2_000)
    item = feed.get_by_role("listitem").filter(has_text=asset)
    await expect(item).to_contain_text("critical")
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "dashboard")


async def test_an_approver_approves_a_medium_risk_runbook_and_sees_the_run_and_resolution(
    web: Stack, context: BrowserContext, page: Page, tmp_path: Path
) -> None:
    trace = Trace(tmp_path)
    creds, admin, tech = await tenant(web)
    named = await web.http.put(
        f"{web.url}/api/users/{tech['id']}", json={"name": "Tess Tech"}, headers=bearer(admin["access_token"])
    )
    assert named.status_code == 200, named.text
    await runbook(web, admin, creds.id, risk_level="medium", actions=[trace.cmd("restarted")])
    await sign_in(page, web.url, tech)
    await live(page)
    incident_id = await open_incident(web, creds, asset="web-approve")
    await until(web, tech, incident_id, remediation_is("awaiting_approval"))
    # The approver is told, wherever they are in the app.
    await expect(page.get_by_role("link", name="Approval requested: Disk /var at 95%")).to_be_visible()

    await page.goto(f"{web.url}/incidents")
    row = page.get_by_test_id("incident-table").get_by_role("row").filter(has_text="web-approve")
    await expect(row).to_contain_text("awaiting approval")
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "incidents")

    await row.get_by_role("link").click()
    approval = page.get_by_test_id("approval")
    await expect(approval).to_contain_text("medium risk")
    await expect(page.get_by_test_id("decision")).to_contain_text("after approval")
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "incident-awaiting-approval")

    await approval.get_by_label("Comment (optional)").fill("go ahead")
    await approval.get_by_role("button", name="Approve").click()
    await expect(page.get_by_test_id("run-status")).to_have_text("succeeded", timeout=30_000)
    await expect(page.get_by_test_id("resolution")).to_contain_text("auto remediated", timeout=30_000)
    await expect(page.get_by_test_id("run")).to_contain_text("restarted")
    await expect(page.get_by_test_id("run")).to_contain_text("go ahead")
    # Names, not user ids, though a technician may not list users: from the directory.
    await expect(page.get_by_test_id("run")).to_contain_text("approved by Tess Tech")
    await expect(page.get_by_test_id("timeline")).to_contain_text("by Tess Tech")
    await expect(page.get_by_test_id("timeline")).not_to_contain_text(tech["id"])
    assert trace.lines() == ["restarted"]
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "incident-resolved")

    link = page.get_by_test_id("temporal-link")
    expected = (
        f"{web.settings.temporal_ui_url}/namespaces/{web.settings.temporal_namespace}/workflows/{incident_id}"
    )
    assert await link.get_attribute("href") == expected
    async with context.expect_page() as opened:
        await link.click()
    temporal = await opened.value
    await expect(temporal.get_by_text(incident_id).first).to_be_visible(timeout=30_000)
    await screenshot(temporal, "temporal-web-ui")


async def test_the_dashboard_reconnects_after_an_api_restart_and_replays_what_it_missed(
    web: Stack, page: Page
) -> None:
    creds, tech = await signed_in_technician(web, page)
    await live(page)
    port = int(web.url.rsplit(":", 1)[1])
    await web.stop_api()
    await expect(page.get_by_test_id("live-status")).not_to_have_text("Live")

    # While it is down, another API process (same database and Temporal) takes a webhook.
    other = make_stack(web.settings, web.client)
    await other.start_api()
    try:
        answer = await other.post_alert(creds, alert_body(asset_name="while-away"))
        incident_id = await other.incident_of(answer)
        await until(other, tech, incident_id, lambda i: i["status"] != "pending")
    finally:
        await other.close()

    await web.start_api(port=port)
    await live(page)
    # The alert stream is fed by the socket alone (no refetch): this entry came through the resume.
    missed = page.get_by_test_id("alert-stream").locator(f'a[href="/incidents/{incident_id}"]')
    await expect(missed).to_be_visible(timeout=15_000)
    await expect(page.get_by_test_id("incident-feed")).to_contain_text("while-away")


async def test_a_technician_of_another_company_sees_none_of_it(web: Stack, page: Page) -> None:
    creds = await web.company()
    outsider_company = await web.company("Elsewhere")
    outsider = await web.user(Role.technician, [outsider_company.id])
    await sign_in(page, web.url, outsider)
    await live(page)

    asset = f"secret-{uuid.uuid4().hex[:6]}"
    incident_id = await web.incident_of(await web.post_alert(creds, alert_body(asset_name=asset)))
    insider = await web.user(Role.technician, [creds.id])
    await until(web, insider, incident_id, lambda i: i["status"] != "pending")
    # Then one of the outsider's own: once it is on screen, the other company's event would have been too.
    own = f"mine-{uuid.uuid4().hex[:6]}"
    accepted(await web.post_alert(outsider_company, alert_body(asset_name=own)))
    await expect(page.get_by_test_id("incident-feed").get_by_text(own)).to_be_visible(timeout=30_000)
    await expect(page.get_by_text(asset)).to_have_count(0)

    await page.reload()
    await expect(page.get_by_test_id("incident-feed").get_by_text(own)).to_be_visible()
    await expect(page.get_by_text(asset)).to_have_count(0)
    await page.goto(f"{web.url}/incidents")
    await expect(page.get_by_test_id("incident-table")).to_contain_text(own)
    await expect(page.get_by_text(asset)).to_have_count(0)
    await page.goto(f"{web.url}/incidents/{incident_id}")
    await expect(page.get_by_role("heading", name="Incident not found")).to_be_visible()
    await expect(page.get_by_text(asset)).to_have_count(0)


async def test_navigation_follows_the_role_and_every_page_renders(web: Stack, page: Page) -> None:
    creds, _ = await signed_in_technician(web, page)
    nav = page.get_by_role("navigation", name="Main")
    await expect(nav.get_by_role("link", name="Runbooks")).to_be_visible()
    # A technician may not read the audit log: the page is not offered.
    await expect(nav.get_by_role("link", name="Audit log")).to_have_count(0)

    admin = await web.user(Role.company_admin, [creds.id])
    await page.get_by_role("button", name="Sign out").click()
    await sign_in(page, web.url, admin)
    for name in ("Runbooks", "Technicians", "Companies & settings", "Audit log", "Profile"):
        await nav.get_by_role("link", name=name).click()
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        await screenshot(page, name.lower().replace(" & ", "-").replace(" ", "-"))

    # On a phone the navigation folds behind a menu button.
    await page.set_viewport_size({"width": 390, "height": 844})
    await expect(nav.get_by_role("link", name="Incidents")).to_be_hidden()
    await page.get_by_role("button", name="Menu").click()
    await nav.get_by_role("link", name="Incidents").click()
    await expect(page.get_by_role("heading", name="Incidents", level=1)).to_be_visible()
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "incidents-phone")
