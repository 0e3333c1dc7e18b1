"""The audit log page in Chromium against the real stack: entries made through the API, a filter kept
in the address, and the CSV export of exactly what the filter matches."""

from __future__ import annotations

import csv
import io

from playwright.async_api import Page, expect

from core.accounts.roles import Role
from tests.support.browser import screenshot, serious_accessibility_violations, sign_in
from tests.support.healing import runbook
from tests.support.signin import bearer
from tests.support.stack import Stack


async def test_the_log_filters_by_action_and_exports_what_the_filter_matches(web: Stack, page: Page) -> None:
    creds = await web.company()
    msp = await web.user(Role.msp_admin, [])
    made = await runbook(web, msp, creds.id, actions=["true"])
    as_msp = bearer(msp["access_token"])
    company_url = f"{web.url}/api/companies/{creds.id}"
    renamed = await web.http.put(company_url, json={"name": "Renamed"}, headers=as_msp)
    assert renamed.status_code == 200, renamed.text

    await sign_in(page, web.url, msp)
    await page.goto(f"{web.url}/audit")
    table = page.get_by_test_id("audit-table")
    await expect(table).to_contain_text("runbook.create")
    await expect(table).to_contain_text("company.update")
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "audit-log")

    await page.get_by_label("Action").fill("runbook.create")
    await page.get_by_role("button", name="Apply filters").click()
    await expect(page).to_have_url(f"{web.url}/audit?action=runbook.create")
    await expect(table).not_to_contain_text("company.update")
    await expect(table.get_by_role("row").filter(has_text=made["id"])).to_have_count(1)

    async with page.expect_download() as started:
        await page.get_by_role("button", name="Export CSV").click()
    download = await started.value
    assert download.suggested_filename.startswith("audit-")
    rows = list(csv.DictReader(io.StringIO((await download.path()).read_text(encoding="utf-8"))))
    assert rows, "the export is empty"
    assert {r["action"] for r in rows} == {"runbook.create"}
    assert made["id"] in {r["object_id"] for r in rows}
