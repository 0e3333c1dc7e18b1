"""The incident page's actions in Chromium against the real stack, one click each: acknowledge, pause and
resume the SLA clocks, assign to a colleague (who is told at once), escalate, note, resolve and reopen.
The timeline reads as sentences, with names, and the API agrees with what the page shows."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect

from tests.support.browser import live, screenshot, serious_accessibility_violations, sign_in
from tests.support.healing import open_incident, tenant, until
from tests.support.signin import bearer
from tests.support.stack import Stack


async def test_an_admin_works_an_incident_from_acknowledge_to_reopen(
    web: Stack, browser: Browser, page: Page
) -> None:
    creds, admin, tech = await tenant(web)
    named = await web.http.put(
        f"{web.url}/api/users/{tech['id']}", json={"name": "Tess Tech"}, headers=bearer(admin["access_token"])
    )
    assert named.status_code == 200, named.text
    incident_id = await open_incident(web, creds, asset="web-actions", signature="cpu_high")
    await until(web, admin, incident_id, lambda i: i["sla"] is not None)

    colleague = await browser.new_context(viewport={"width": 1280, "height": 900})
    tech_page = await colleague.new_page()
    await sign_in(tech_page, web.url, tech)
    await live(tech_page)

    await sign_in(page, web.url, admin)
    await page.goto(f"{web.url}/incidents/{incident_id}")
    sla = page.get_by_test_id("sla")
    await expect(sla).to_contain_text("left")

    await page.get_by_role("button", name="Acknowledge").click()
    await expect(page.get_by_text("· acknowledged")).to_be_visible()
    await expect(sla).to_contain_text("met")

    await page.get_by_label("Pause the clocks because").fill("waiting on the customer")
    await page.get_by_role("button", name="Pause", exact=True).click()
    await expect(sla).to_contain_text("paused (waiting on the customer)")
    await page.get_by_role("button", name="Resume the clocks").click()
    await expect(sla).to_contain_text("left")

    await page.get_by_label("Assign to").select_option(label="Tess Tech (technician)")
    await page.get_by_role("button", name="Assign", exact=True).click()
    await expect(page.get_by_test_id("assignee")).to_have_text("· assigned to Tess Tech")
    # The colleague, on another page of the app, is told at once.
    await expect(tech_page.get_by_role("link", name=re.compile("^Assigned to you: "))).to_be_visible(
        timeout=10_000
    )
    await colleague.close()

    await page.get_by_role("button", name="Escalate").click()
    # Level 1 (on call) reaches nobody in this company, so the chain goes on to the level that does.
    await expect(page.get_by_text(re.compile(r"· escalated \(level \d\)"))).to_be_visible()

    await page.get_by_label("Add a note").fill("Called the customer; they are rebooting it.")
    await page.get_by_role("button", name="Add note").click()
    timeline = page.get_by_test_id("timeline")
    await expect(timeline.locator('[data-kind="note"]')).to_contain_text(
        "Called the customer; they are rebooting it."
    )

    await page.get_by_role("button", name="Resolve").click()
    await expect(page.get_by_test_id("resolution")).to_contain_text("resolved manually")
    await web.client.get_workflow_handle(incident_id).result()
    await page.get_by_role("button", name="Reopen").click()
    await expect(page.get_by_role("button", name="Resolve")).to_be_visible(timeout=15_000)

    for line in (
        "Acknowledged by",
        "SLA clocks paused by",
        "waiting on the customer",
        "SLA clocks resumed",
        "Assigned to Tess Tech",
        "Escalated to level",
        "Resolved by hand",
        "Reopened by",
        "Alert firing: cpu_high on web-actions",
    ):
        await expect(timeline).to_contain_text(line)
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "incident-actions")

    stored = await until(web, admin, incident_id, lambda i: i["status"] == "in_progress")
    assert stored["assigned_to"] == tech["id"] and stored["acknowledged_at"] is not None
    # Reopened: no resolution, and the escalation chain would start over from its first level.
    assert stored["resolution"] is None and stored["escalation_level"] == 0
