"""The companies and settings page in Chromium against the real stack: a policy value the API refuses is
shown beside its field then fixed, a rotated HMAC secret is shown once and signs alerts, a new API key
fills the integration snippets, a maintenance window and the escalation chain are saved."""

from __future__ import annotations

from playwright.async_api import Page, expect

from core.accounts.roles import Role
from tests.support.browser import screenshot, serious_accessibility_violations, sign_in
from tests.support.signin import bearer
from tests.support.stack import Stack, TenantCreds, accepted, alert_body


async def _tab(page: Page, name: str) -> None:
    await page.get_by_role("navigation", name="Company settings").get_by_role("button", name=name).click()
    assert await serious_accessibility_violations(page) == [], name


async def test_an_admin_sets_policy_rotates_credentials_and_adds_a_window(web: Stack, page: Page) -> None:
    creds = await web.company("Globex")
    msp = await web.user(Role.msp_admin, [])
    as_msp = bearer(msp["access_token"])

    await sign_in(page, web.url, msp)
    await page.goto(f"{web.url}/companies")
    assert await serious_accessibility_violations(page) == []
    await page.get_by_test_id("company-list").get_by_role("link", name="Globex").click()

    window = page.get_by_label("Correlation window (minutes)")
    await window.fill("90")
    await page.get_by_role("button", name="Save policy").click()
    await expect(window).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_test_id("field-error")).to_contain_text("less than or equal to 60")
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "company-policy")
    await window.fill("30")
    await page.get_by_label("Risk tolerance").select_option("medium")
    await page.get_by_role("button", name="Save policy").click()
    await expect(page.get_by_role("status").filter(has_text="Policy saved")).to_be_visible()
    stored = (await web.http.get(f"{web.url}/api/companies/{creds.id}", headers=as_msp)).json()
    assert (stored["policy"]["window_minutes"], stored["policy"]["risk_tolerance"]) == (30, "medium")

    await _tab(page, "Credentials")
    await page.get_by_role("button", name="Rotate the HMAC secret").click()
    secret = await page.get_by_test_id("rotated-secret").get_by_test_id("secret-value").inner_text()
    assert len(secret) >= 32
    # The secret on screen is the one that now signs this company's alerts.
    accepted(
        await web.post_alert(TenantCreds(creds.id, creds.api_key, secret), alert_body(asset_name="hmac-1"))
    )
    await page.get_by_role("button", name="Issue a new API key").click()
    key = await page.get_by_test_id("issued-key").get_by_test_id("secret-value").inner_text()
    await expect(page.get_by_test_id("api-keys").get_by_role("listitem")).to_have_count(2)
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "company-credentials")

    await _tab(page, "Integrations")
    await expect(page.get_by_test_id("snippet-datadog")).to_contain_text(f'{{"X-API-Key":"{key}"}}')
    await expect(page.get_by_test_id("snippet-webhook")).to_contain_text(f"HMAC_SECRET='{secret}'")
    await expect(page.get_by_test_id("snippet-alertmanager")).to_contain_text(
        f"{web.url}/api/webhooks/alertmanager"
    )
    await screenshot(page, "company-integrations")

    # Shown once: after a reload neither the key nor the secret is anywhere on the page.
    await page.reload()
    await _tab(page, "Credentials")
    await expect(page.get_by_test_id("api-keys")).to_be_visible()
    assert key not in await page.content()
    assert secret not in await page.content()

    await _tab(page, "Maintenance windows")
    await page.get_by_label("Window name").fill("Sunday patching")
    await page.get_by_label("Kind").select_option("weekly")
    await page.get_by_label("Assets").fill("db-*")
    await page.get_by_role("button", name="Add window").click()
    windows = page.get_by_test_id("maintenance-windows")
    await expect(windows).to_contain_text("Sunday patching")
    await expect(windows).to_contain_text("sun 02:00")
    await screenshot(page, "company-maintenance")
    listed = await web.http.get(
        f"{web.url}/api/maintenance-windows", params={"company_id": creds.id}, headers=as_msp
    )
    [made] = listed.json()
    assert (made["kind"], made["match_assets"]) == ("weekly", ["db-*"])

    await _tab(page, "Escalation chain")
    await page.get_by_label("Level 1 wait (minutes)").fill("7")
    await page.get_by_role("button", name="Save escalation chain").click()
    await expect(page.get_by_role("status").filter(has_text="Escalation chain saved")).to_be_visible()
    await expect(page.get_by_test_id("chain-levels")).to_contain_text("wait 7 min")
    await screenshot(page, "company-escalation")

    await _tab(page, "Slack and AWS")
    await expect(page.get_by_test_id("slack-status")).to_contain_text("Not set")
    await screenshot(page, "company-slack-aws")
