"""Adding, changing and deleting client companies in Chromium against the real stack: the MSP
administrator adds one and its key and secret, shown once, sign alerts; its profile is changed (a value
the API refuses shown beside its field); a company with alerts is kept (409, reason shown), one without is
deleted. A company administrator sees none of the controls its role may not use."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlparse

from playwright.async_api import Page, expect

from core.accounts.roles import Role
from tests.support.browser import screenshot, serious_accessibility_violations, sign_in
from tests.support.signin import bearer
from tests.support.stack import Stack, TenantCreds, accepted, alert_body


async def _tab(page: Page, name: str) -> None:
    await page.get_by_role("navigation", name="Company settings").get_by_role("button", name=name).click()
    assert await serious_accessibility_violations(page) == [], name


async def test_an_msp_admin_adds_changes_and_deletes_companies(web: Stack, page: Page) -> None:
    msp = await web.user(Role.msp_admin, [])
    as_msp = bearer(msp["access_token"])
    name = f"Umbrella {uuid.uuid4().hex[:6]}"

    await sign_in(page, web.url, msp)
    await page.goto(f"{web.url}/companies")
    await page.get_by_role("button", name="Add a company").click()
    form = page.get_by_role("form", name="Add a company")
    await form.get_by_label("Company name").fill(name)
    await form.get_by_label("Critical assets").fill("db-prod-01")
    await form.get_by_label("Assets", exact=True).fill("db-prod-01, i-0abc123, database, prod\nweb-01")
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "company-add")
    await form.get_by_role("button", name="Add company").click()

    # The new company's page, with its key and secret shown this once.
    await expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    company_id = urlparse(page.url).path.rsplit("/", 1)[-1]
    shown = page.get_by_test_id("created-secrets")
    await expect(shown).to_contain_text("will not be shown again")
    key = await shown.get_by_test_id("created-api-key").inner_text()
    secret = await shown.get_by_test_id("created-hmac-secret").inner_text()
    assert key and len(secret) >= 32
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "company-created")
    accepted(await web.post_alert(TenantCreds(company_id, key, secret), alert_body(asset_name="db-prod-01")))

    await expect(page.get_by_test_id("snippet-datadog")).to_contain_text(f'{{"X-API-Key":"{key}"}}')
    await expect(page.get_by_test_id("snippet-webhook")).to_contain_text(f"HMAC_SECRET='{secret}'")
    await page.get_by_role("button", name="I have stored them").click()
    await expect(shown).to_have_count(0)
    await expect(page.get_by_test_id("snippet-zabbix")).to_contain_text(secret)  # until leaving the page

    stored = (await web.http.get(f"{web.url}/api/companies/{company_id}", headers=as_msp)).json()
    assert stored["critical_assets"] == ["db-prod-01"]
    assert [(a["name"], a["asset_id"], a["kind"], a["tags"]) for a in stored["assets"]] == [
        ("db-prod-01", "i-0abc123", "database", ["prod"]),
        ("web-01", None, None, []),
    ]

    # Shown once: after a reload neither the key nor the secret is anywhere on the page.
    await page.reload()
    await expect(page.get_by_test_id("snippet-datadog")).to_be_visible()
    await expect(page.get_by_test_id("created-secrets")).to_have_count(0)
    assert key not in await page.content()
    assert secret not in await page.content()

    await _tab(page, "Profile")
    profile = page.get_by_role("form", name="Company profile")
    field = profile.get_by_label("Company name")
    await field.fill("   ")
    await profile.get_by_role("button", name="Save profile").click()
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(profile.get_by_test_id("field-error")).to_contain_text("must not be blank")
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "company-profile-refused")
    renamed = f"{name} Ltd"
    await field.fill(renamed)
    await profile.get_by_label("Assets", exact=True).fill(
        "db-prod-01, i-0abc123, database\napp-01, , server, eu"
    )
    await profile.get_by_label("Monitoring integrations").fill(
        "datadog, Production Datadog\nzabbix, , disabled"
    )
    await profile.get_by_role("button", name="Save profile").click()
    await expect(page.get_by_role("status").filter(has_text="Profile saved")).to_be_visible()
    await expect(page.get_by_role("heading", level=1, name=renamed)).to_be_visible()
    stored = (await web.http.get(f"{web.url}/api/companies/{company_id}", headers=as_msp)).json()
    assert stored["name"] == renamed
    assert [(a["name"], a["asset_id"], a["kind"], a["tags"]) for a in stored["assets"]] == [
        ("db-prod-01", "i-0abc123", "database", []),
        ("app-01", None, "server", ["eu"]),
    ]
    assert stored["monitoring_integrations"] == [
        {"tool": "datadog", "name": "Production Datadog", "enabled": True},
        {"tool": "zabbix", "name": "", "enabled": False},
    ]

    # It has an alert now: the API keeps it and the page says why.
    delete = page.get_by_role("button", name="Delete company")
    await expect(delete).to_be_disabled()
    await page.get_by_label(f"Type {renamed} to confirm").fill(renamed)
    await delete.click()
    await expect(page.get_by_role("alert")).to_contain_text(
        re.compile(r"Not deleted: .* incidents and \d+ alerts, which keep referring to it")
    )
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "company-delete-refused")

    unused = await web.company("Mistake")
    unused_name = (await web.http.get(f"{web.url}/api/companies/{unused.id}", headers=as_msp)).json()["name"]
    await page.goto(f"{web.url}/companies/{unused.id}?tab=profile")
    await page.get_by_label(f"Type {unused_name} to confirm").fill(unused_name)
    await page.get_by_role("button", name="Delete company").click()
    await expect(page.get_by_role("status").filter(has_text=f"{unused_name} was deleted")).to_be_visible()
    listing = page.get_by_test_id("company-list")
    await expect(listing.get_by_role("link", name=renamed)).to_be_visible()
    await expect(listing.get_by_role("link", name=unused_name)).to_have_count(0)
    gone = await web.http.get(f"{web.url}/api/companies/{unused.id}", headers=as_msp)
    assert gone.status_code == 404
    await screenshot(page, "company-deleted")


async def test_a_company_admin_edits_the_profile_but_neither_adds_nor_deletes(web: Stack, page: Page) -> None:
    creds = await web.company("Hooli")
    admin = await web.user(Role.company_admin, [creds.id])
    await sign_in(page, web.url, admin)

    await page.goto(f"{web.url}/companies")
    await expect(page.get_by_test_id("company-list")).to_be_visible()
    await expect(page.get_by_role("button", name="Add a company")).to_have_count(0)

    await page.goto(f"{web.url}/companies/{creds.id}?tab=profile")
    await expect(page.get_by_role("button", name="Save profile")).to_be_visible()
    await expect(page.get_by_role("button", name="Delete company")).to_have_count(0)
    await expect(page.get_by_role("heading", name="Delete this company")).to_have_count(0)
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "company-profile-company-admin")
