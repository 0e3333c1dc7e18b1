"""The technicians page in Chromium against the real stack: people with their category and the incident
on-call assignment gave them, who is on call now, and a shift swap added in the schedule editor (refused
first while it ends before it starts) that changes who is on call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect

from core.accounts.roles import Role
from tests.support.browser import screenshot, serious_accessibility_violations, sign_in
from tests.support.healing import open_incident, until
from tests.support.signin import bearer
from tests.support.stack import Stack


def _local(moment: datetime) -> str:
    # datetime-local text; a day either side of now, so the browser's time zone cannot matter.
    return moment.strftime("%Y-%m-%dT%H:%M")


async def test_people_on_call_now_and_a_shift_swap_from_the_editor(web: Stack, page: Page) -> None:
    creds = await web.company()
    msp = await web.user(Role.msp_admin, [])
    alice = await web.user(Role.technician, [creds.id])
    bob = await web.user(Role.technician, [creds.id])
    as_msp = bearer(msp["access_token"])
    for user, category in ((alice, "Network"), (bob, "Database")):
        answer = await web.http.put(
            f"{web.url}/api/users/{user['id']}", json={"category": category}, headers=as_msp
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

    await sign_in(page, web.url, msp)
    await page.goto(f"{web.url}/technicians?company={creds.id}")
    await expect(page.get_by_test_id("on-call-now")).to_contain_text(f"Network on-call: {alice['email']}")
    people = page.get_by_test_id("technician-table")
    alice_row = people.get_by_role("row").filter(has_text=alice["email"])
    await expect(alice_row).to_contain_text("Network")
    await expect(alice_row.get_by_test_id("assigned-counts")).to_have_text("1 open · 0 resolved")
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
        f"Swap: {bob['email']} for {alice['email']}"
    )
    now_on_call = page.get_by_test_id("on-call-now")
    await expect(now_on_call).to_contain_text(f"Network on-call: {bob['email']}")
    await expect(now_on_call).to_contain_text("override")
    answer = await web.http.get(f"{web.url}/api/oncall/{creds.id}/now", headers=as_msp)
    assert answer.json()["user_ids"] == [bob["id"]]
