"""The runbooks page in Chromium against the real stack: the library shows a runbook's risk and the run
it made (history, success rate), and the editor shows the API's 422 beside its field until it is fixed."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.async_api import Page, expect

from core.accounts.roles import Role
from tests.support.browser import screenshot, serious_accessibility_violations, sign_in
from tests.support.healing import Trace, open_incident, remediation_is, runbook, tenant, until
from tests.support.stack import Stack


async def test_the_library_shows_risk_and_history_and_a_new_runbook_is_fixed_after_a_422(
    web: Stack, page: Page, tmp_path: Path
) -> None:
    trace = Trace(tmp_path)
    creds, admin, tech = await tenant(web)
    healed = await runbook(web, admin, creds.id, actions=[trace.cmd("healed")])
    incident_id = await open_incident(web, creds, asset="web-rb")
    await until(web, tech, incident_id, remediation_is("succeeded"))
    msp = await web.user(Role.msp_admin, [])

    await sign_in(page, web.url, msp)
    await page.goto(f"{web.url}/runbooks")
    row = page.get_by_test_id("runbook-table").get_by_role("row").filter(has_text=healed["name"])
    await expect(row).to_contain_text("low risk")
    await expect(row.get_by_test_id("success-rate")).to_have_text("100%")
    await expect(row).to_contain_text("1 ok, 0 failed")
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "runbooks")

    await page.get_by_role("link", name="New runbook").click()
    name = f"Clear tmp {uuid.uuid4().hex[:6]}"
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Company", exact=True).select_option(creds.id)
    await page.get_by_label("Alert signatures").fill("disk_*")
    await page.get_by_label("Actions", exact=True).fill("rm -rf /tmp/cache")
    await page.get_by_label("Timeout (seconds)").fill("1")
    await page.get_by_role("button", name="Create runbook").click()
    timeout_field = page.get_by_label("Timeout (seconds)")
    await expect(timeout_field).to_have_attribute("aria-invalid", "true")
    error = page.get_by_test_id("field-error")
    await expect(error).to_have_count(1)
    await expect(error).to_contain_text("greater than or equal to 5")
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "runbook-validation-error")

    await timeout_field.fill("60")
    await page.get_by_role("button", name="Create runbook").click()
    created = page.get_by_test_id("runbook-table").get_by_role("row").filter(has_text=name)
    await expect(created).to_contain_text("low risk")
    await expect(created.get_by_test_id("success-rate")).to_have_text("—")

    await created.get_by_role("link", name=name).click()
    await page.get_by_label("Risk level").select_option("high")
    await page.get_by_role("button", name="Save runbook").click()
    await expect(created).to_contain_text("high risk")
    stored = await web.http.get(
        f"{web.url}/api/runbooks", headers={"Authorization": f"Bearer {msp['access_token']}"}
    )
    [mine] = [r for r in stored.json() if r["name"] == name]
    assert (mine["risk_level"], mine["timeout_seconds"], mine["company_id"]) == ("high", 60, creds.id)
