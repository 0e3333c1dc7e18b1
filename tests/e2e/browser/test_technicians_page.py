"""The technicians page in Chromium against the real stack: people with their category and the figures of
the incident on-call assignment gave them, who is on call now (by name, for a technician too, who may not
list users), and a shift swap added in the schedule editor (refused first while it ends before it starts)
that changes who is on call; a technician hands an incident to a colleague chosen by name."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser, Page, expect

from core.accounts.roles import Role
from tests.support.browser import screenshot, serious_accessibility_violations, sign_in
from tests.support.healing import open_incident, until
from tests.support.signin import bearer
from tests.support.stack import Stack


def _local(moment: datetime) -> str:
    # datetime-local text; a day either side of now, so the browser's time zone cannot matter.
    return moment.strftime("%Y-%m-%dT%H:%M")


async def test_people_figures_on_call_now_and_a_shift_swap_from_the_editor(
    web: Stack, page: Page, browser: Browser
) -> None:
    creds = await web.company()
    msp = await web.user(Role.msp_admin, [])
    alice = await web.user(Role.technician, [creds.id])
    bob = await web.user(Role.technician, [creds.id])
    as_msp = bearer(msp["access_token"])
    for user, category in ((alice, "Network"), (bob, "Database")):
        answer = await web.http.put(
            f"{web.url}/api/users/{user['id']}",
            json={"category": category, "name": f"{category} person"},
            headers=as_msp,
        )
        assert answer.status_code == 200, answer.text
    layer = {
        "name": "Primary",
        "rotation": "weekly",
        "handoff_time": "09:00",
        "starts_on": "2020-01-06",
        "participants": [alice["id"]],
    }
    made = await web.http.post(
        f"{web.url}/api/schedules",
        json={"company_id": creds.id, "name": "Network on-call", "layers": [layer]},
        headers=as_msp,
    )
    assert made.status_code == 201, made.text
    incident_id = await open_incident(web, creds, asset="switch-1")
    await until(web, msp, incident_id, lambda i: i["assigned_to"] == alice["id"])
    acked = await web.http.post(
        f"{web.url}/api/incidents/{incident_id}/acknowledge", headers=bearer(alice["access_token"])
    )
    assert acked.status_code == 200, acked.text

    await sign_in(page, web.url, msp)
    await page.goto(f"{web.url}/technicians?company={creds.id}")
    await expect(page.get_by_test_id("on-call-now")).to_contain_text("Network on-call: Network person")
    people = page.get_by_test_id("technician-table")
    alice_row = people.get_by_role("row").filter(has_text=alice["email"])
    await expect(alice_row).to_contain_text("Network")
    # Open now, resolved, MTTA and MTTR medians, SLA breaches: acknowledged, so an MTTA and no MTTR.
    figures = alice_row.get_by_test_id("technician-figure")
    await expect(figures).to_have_text(["1", "0", re.compile(r"^\d+ s$"), "—", "0"])
    await expect(
        people.get_by_role("row").filter(has_text=bob["email"]).get_by_test_id("technician-figure")
    ).to_have_text(["0", "0", "—", "—", "0"])
    await page.get_by_label("Category").select_option("Database")
    await expect(people.get_by_role("row").filter(has_text=alice["email"])).to_have_count(0)
    await expect(people.get_by_role("row").filter(has_text=bob["email"])).to_have_count(1)
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "technicians")

    await page.get_by_role("button", name="Edit schedule Network on-call").click()
    await page.get_by_role("button", name="Add an override or swap").click()
    await page.get_by_label("Override 1: who").select_option(bob["id"])
    await page.get_by_label("Override 1: stands in for").select_option(alice["id"])
    now = datetime.now(UTC)
    await page.get_by_label("Override 1: from").fill(_local(now + timedelta(days=1)))
    await page.get_by_label("Override 1: until").fill(_local(now - timedelta(days=1)))
    await page.get_by_role("button", name="Save schedule").click()
    await expect(page.get_by_text("must be after the start")).to_be_visible()
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "schedule-editor")

    await page.get_by_label("Override 1: from").fill(_local(now - timedelta(days=1)))
    await page.get_by_label("Override 1: until").fill(_local(now + timedelta(days=1)))
    await page.get_by_role("button", name="Save schedule").click()
    await expect(page.get_by_test_id("schedule-list")).to_contain_text(
        "Swap: Database person for Network person"
    )
    now_on_call = page.get_by_test_id("on-call-now")
    await expect(now_on_call).to_contain_text("Network on-call: Database person")
    await expect(now_on_call).to_contain_text("override")
    answer = await web.http.get(f"{web.url}/api/oncall/{creds.id}/now", headers=as_msp)
    assert answer.json()["user_ids"] == [bob["id"]]

    # A technician may not list users (no emails), yet reads names and figures from the directory.
    as_alice = await browser.new_context()
    try:
        mine = await as_alice.new_page()
        await sign_in(mine, web.url, alice)
        await mine.goto(f"{web.url}/technicians?company={creds.id}")
        await expect(mine.get_by_test_id("on-call-now")).to_contain_text("Network on-call: Database person")
        row = mine.get_by_test_id("technician-table").get_by_role("row").filter(has_text="Network person")
        await expect(row.get_by_test_id("technician-figure").first).to_have_text("1")
        await expect(mine.get_by_test_id("technician-table")).not_to_contain_text(alice["email"])
        assert await serious_accessibility_violations(mine) == []
        await screenshot(mine, "technicians-as-technician")

        # ...and hands the incident to a colleague picked by name from that directory.
        await mine.goto(f"{web.url}/incidents/{incident_id}")
        await mine.get_by_label("Assign to").select_option(label="Database person (technician)")
        await mine.get_by_role("button", name="Assign", exact=True).click()
        await until(web, msp, incident_id, lambda i: i["assigned_to"] == bob["id"])
    finally:
        await as_alice.close()
