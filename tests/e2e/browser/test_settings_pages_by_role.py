"""What a technician sees on the settings pages: the data, none of the controls its role may not use;
and every page at phone width."""

from __future__ import annotations

from playwright.async_api import Page, expect

from core.accounts.roles import Role
from tests.support.browser import screenshot, serious_accessibility_violations, sign_in
from tests.support.healing import open_incident, runbook, until
from tests.support.stack import Stack


async def test_a_technician_reads_settings_without_the_controls_it_may_not_use(
    web: Stack, page: Page
) -> None:
    creds = await web.company("Initech")
    tech = await web.user(Role.technician, [creds.id])
    made = await runbook(web, tech, creds.id, actions=["true"])

    await sign_in(page, web.url, tech)
    await page.goto(f"{web.url}/runbooks")
    await expect(page.get_by_test_id("runbook-table")).to_contain_text(made["name"])
    await expect(page.get_by_role("link", name="New runbook")).to_have_count(0)
    await expect(page.get_by_role("link", name=made["name"])).to_have_count(0)

    await page.goto(f"{web.url}/companies/{creds.id}")
    tabs = page.get_by_role("navigation", name="Company settings")
    await expect(tabs.get_by_role("button", name="Policy")).to_be_visible()
    await expect(tabs.get_by_role("button", name="Credentials")).to_have_count(0)
    await expect(tabs.get_by_role("button", name="Slack and AWS")).to_have_count(0)
    await expect(page.get_by_role("button", name="Save policy")).to_have_count(0)
    await expect(page.get_by_label("Risk tolerance")).to_be_disabled()
    await tabs.get_by_role("button", name="Maintenance windows").click()
    await expect(page.get_by_role("button", name="Add window")).to_have_count(0)

    await page.goto(f"{web.url}/technicians")
    await expect(page.get_by_text("No schedules yet")).to_be_visible()
    await expect(page.get_by_role("button", name="New schedule")).to_have_count(0)
    assert await serious_accessibility_violations(page) == []


async def test_every_page_fits_a_phone(web: Stack, page: Page) -> None:
    creds = await web.company("Phone Co")
    admin = await web.user(Role.company_admin, [creds.id])
    incident_id = await open_incident(web, creds, asset="phone-web")
    await until(web, admin, incident_id, lambda i: i["status"] != "pending")
    await sign_in(page, web.url, admin)
    await page.set_viewport_size({"width": 390, "height": 844})
    for path, name in (
        ("/", "phone-dashboard"),
        ("/incidents", "phone-incidents"),
        (f"/incidents/{incident_id}", "phone-incident"),
        ("/technicians", "phone-technicians"),
        ("/notifications", "phone-notifications"),
        ("/audit", "phone-audit"),
        (f"/companies/{creds.id}", "phone-company"),
        ("/runbooks", "phone-runbooks"),
        ("/profile", "phone-profile"),
    ):
        await page.goto(f"{web.url}{path}")
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        # Nothing wider than the screen but what scrolls inside its own box (tables, snippets).
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a phone"
        assert await serious_accessibility_violations(page) == [], path
        await screenshot(page, name)
