"""In-app notifications and their preferences in Chromium against the real stack: an incident assigned to
the signed-in technician over HTTP raises the unread count on the open page without a reload (and not on
another company's), the inbox links to the incident and marks it read, and the preferences on the profile
page are saved, refused with the API's reason beside the field, and kept."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.async_api import Browser, Page, expect

from core.accounts.roles import Role
from tests.support.browser import live, screenshot, serious_accessibility_violations, sign_in
from tests.support.healing import tenant, until
from tests.support.signin import bearer
from tests.support.stack import Stack, alert_body
from workflows.policy import CompanyPolicy


async def test_an_assignment_counts_live_opens_in_the_inbox_and_is_marked_read(
    web: Stack, page: Page, browser: Browser
) -> None:
    creds, admin, tech = await tenant(web, automation=False)  # intake only: nothing else to tell
    stranger_company = await web.company(policy=CompanyPolicy(automation=False))
    stranger = await web.user(Role.technician, [stranger_company.id])

    await sign_in(page, web.url, tech)
    await live(page)
    link = page.get_by_test_id("notifications-link")
    await expect(link).to_have_attribute("data-unread", "0")
    stranger_context = await browser.new_context(viewport={"width": 1280, "height": 900})
    stranger_page = await stranger_context.new_page()
    await sign_in(stranger_page, web.url, stranger)
    await live(stranger_page)

    asset = f"db-{uuid.uuid4().hex[:6]}"
    answer = await web.post_alert(creds, alert_body(asset_name=asset, severity="low"))
    incident_id = await web.incident_of(answer)
    await until(web, admin, incident_id, lambda i: i["status"] != "pending")
    named = await web.http.put(
        f"{web.url}/api/users/me", json={"name": "Ada Admin"}, headers=bearer(admin["access_token"])
    )
    assert named.status_code == 200, named.text
    assigned = await web.http.post(
        f"{web.url}/api/incidents/{incident_id}/assign",
        json={"user_id": tech["id"]},
        headers=bearer(admin["access_token"]),
    )
    assert assigned.status_code == 200, assigned.text

    # No reload: the "notification" event refetches the count, and a screen reader hears it once.
    await expect(page.get_by_test_id("unread-count")).to_have_text("1", timeout=20_000)
    await expect(page.get_by_test_id("unread-announcement")).to_have_text(
        "1 new notification; 1 unread notification"
    )

    # On a phone the navigation folds into the menu, whose button carries the count.
    await page.set_viewport_size({"width": 390, "height": 844})
    menu = page.get_by_role("button", name="Menu")
    await expect(menu).to_contain_text("1")
    await expect(link).to_be_hidden()
    await menu.click()
    await link.click()
    await expect(page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()
    await expect(link).to_be_hidden()  # the menu closed behind it
    item = page.get_by_test_id("notification").filter(has_text="Assigned to you")
    await expect(item).to_have_count(1)
    await screenshot(page, "notifications-phone")
    await page.set_viewport_size({"width": 1280, "height": 900})
    await expect(item).to_have_attribute("data-read", "false")
    await expect(item).to_contain_text("Unread")
    await expect(item).to_contain_text("low")
    await expect(item).to_contain_text("assigned by Ada Admin")  # the server wrote a user id
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "notifications")

    await item.get_by_role("link", name="Open the incident").click()
    await expect(page).to_have_url(re.compile(f"/incidents/{incident_id}$"))
    await expect(page.locator("#incident-title")).to_be_visible()
    await page.go_back()

    await item.get_by_role("button", name="Mark read").click()
    await expect(item).to_have_attribute("data-read", "true")
    await expect(item.get_by_role("button", name="Mark read")).to_have_count(0)
    await expect(link).to_have_attribute("data-unread", "0")
    await expect(page.get_by_test_id("unread-count")).to_have_count(0)
    await expect(page.get_by_role("button", name="Mark all read")).to_be_disabled()

    inbox = await _inbox(web, tech)
    assert inbox["unread_count"] == 0
    (told,) = [n for n in inbox["items"] if n["incident_id"] == incident_id]
    assert told["kind"] == "assignment" and told["read_at"] is not None

    # The other company's technician had their page open all along: nothing reached them.
    await expect(stranger_page.get_by_test_id("notifications-link")).to_have_attribute("data-unread", "0")
    await stranger_page.get_by_test_id("notifications-link").click()
    await expect(stranger_page.get_by_text("No notifications yet")).to_be_visible()
    assert (await _inbox(web, stranger))["items"] == []
    not_theirs = await web.http.post(
        f"{web.url}/api/notifications/{told['id']}/read", headers=bearer(stranger["access_token"])
    )
    assert not_theirs.status_code == 404
    await stranger_context.close()


async def test_notification_preferences_are_saved_refused_with_a_reason_and_kept(
    web: Stack, page: Page
) -> None:
    creds = await web.company()
    tech = await web.user(Role.technician, [creds.id])
    await sign_in(page, web.url, tech)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile").click()
    form = page.get_by_role("form", name="Notification preferences")
    await expect(form.get_by_role("group", name="high").get_by_label("Email")).to_be_checked()

    await form.get_by_role("group", name="low").get_by_label("Slack").check()
    await form.get_by_role("group", name="critical").get_by_label("Email").uncheck()
    await form.get_by_label("Only the app").check()
    await form.get_by_label("From", exact=True).fill("21:30")
    await form.get_by_label("Until").fill("06:45")
    await form.get_by_label("Time zone").fill("Mars/Olympus_Mons")
    await form.get_by_role("button", name="Save notification preferences").click()
    zone = form.get_by_label("Time zone")
    await expect(zone).to_have_attribute("aria-invalid", "true")
    zone_error = form.get_by_test_id("field-error").filter(has_text="unknown time zone")
    await expect(zone_error).to_contain_text("use an IANA name")
    assert await zone.get_attribute("aria-describedby") == (
        f"{await zone.get_attribute('id')}-hint {await zone.get_attribute('id')}-error"
    )
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "profile-notification-preferences-refused")
    assert (await _preferences(web, tech))["quiet_hours"] is None  # nothing stored from the refused one

    await zone.fill("Europe/Berlin")
    await form.get_by_role("button", name="Save notification preferences").click()
    await expect(page.get_by_role("status").filter(has_text="Notification preferences saved")).to_be_visible()
    await expect(form.get_by_test_id("field-error")).to_have_count(0)

    stored = {
        "channels": {
            "low": ["in_app", "slack"],
            "medium": ["in_app"],
            "high": ["in_app", "email"],
            "critical": ["in_app", "slack"],
        },
        "quiet_hours": {"start": "21:30", "end": "06:45", "timezone": "Europe/Berlin"},
        "email": None,
    }
    assert await _preferences(web, tech) == stored

    await page.reload()
    form = page.get_by_role("form", name="Notification preferences")
    await expect(form.get_by_role("group", name="low").get_by_label("Slack")).to_be_checked()
    await expect(form.get_by_role("group", name="critical").get_by_label("Email")).not_to_be_checked()
    await expect(form.get_by_label("From", exact=True)).to_have_value("21:30")
    await expect(form.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "profile-notification-preferences")


async def _inbox(web: Stack, user: dict[str, str]) -> dict[str, Any]:
    response = await web.http.get(f"{web.url}/api/notifications", headers=bearer(user["access_token"]))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _preferences(web: Stack, user: dict[str, str]) -> dict[str, Any]:
    response = await web.http.get(
        f"{web.url}/api/users/me/notification-preferences", headers=bearer(user["access_token"])
    )
    assert response.status_code == 200, response.text
    return dict(response.json())
