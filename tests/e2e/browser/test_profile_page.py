"""The profile page in Chromium against the real stack: another device signed out from the list (its
token stops working), a password change refused then made, and sign-out everywhere."""

from __future__ import annotations

from playwright.async_api import Page, expect

from core.accounts.roles import Role
from tests.support.browser import screenshot, serious_accessibility_violations, sign_in
from tests.support.signin import bearer
from tests.support.stack import Stack


async def test_a_device_is_signed_out_from_the_list_and_the_password_changes(web: Stack, page: Page) -> None:
    creds = await web.company()
    # Signed in over HTTP (python-httpx): the "other device" of this account.
    msp = await web.user(Role.msp_admin, [creds.id])
    other_device = bearer(msp["access_token"])
    assert (await web.http.get(f"{web.url}/api/auth/sessions", headers=other_device)).status_code == 200

    await sign_in(page, web.url, msp)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile").click()
    devices = page.get_by_test_id("session-list").get_by_role("listitem")
    await expect(devices).to_have_count(2)
    await expect(devices.filter(has_text="this device")).to_have_count(1)
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "profile")

    other = devices.filter(has_text="python-httpx")
    await other.get_by_role("button", name="Sign out python-httpx").click()
    await expect(devices).to_have_count(1)
    await expect(devices).to_contain_text("this device")
    assert (await web.http.get(f"{web.url}/api/auth/sessions", headers=other_device)).status_code == 401

    await page.get_by_label("Current password").fill("not my password")
    await page.get_by_label("New password", exact=True).fill("a much better passphrase")
    await page.get_by_label("Repeat the new password").fill("a much better passphrase")
    await page.get_by_role("button", name="Change password").click()
    await expect(page.get_by_role("alert")).to_contain_text("current password is wrong")

    await page.get_by_label("Current password").fill(msp["password"])
    await page.get_by_role("button", name="Change password").click()
    await expect(page.get_by_role("status").filter(has_text="Password changed")).to_be_visible()
    relogin = await web.http.post(
        f"{web.url}/api/auth/login", json={"email": msp["email"], "password": "a much better passphrase"}
    )
    assert relogin.status_code == 200, relogin.text

    await page.get_by_role("button", name="Sign out everywhere").click()
    await expect(page.get_by_role("heading", name="Sign in to Alert Whisperer")).to_be_visible()
    again = bearer(relogin.json()["access_token"])
    assert (await web.http.get(f"{web.url}/api/auth/sessions", headers=again)).status_code == 401
