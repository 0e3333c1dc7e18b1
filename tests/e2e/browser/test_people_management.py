"""Managing people on the technicians page in Chromium against the real stack: a company admin adds a
technician with a category (the API's refusals shown beside the fields, then fixed), the new technician
signs in with the password set and sees no management controls, and the admin changes the category,
disables the account and removes a colleague; the API holds what the page showed."""

from __future__ import annotations

import uuid

from playwright.async_api import Browser, Page, expect

from core.accounts.roles import Role
from tests.support.browser import screenshot, serious_accessibility_violations, sign_in
from tests.support.signin import bearer
from tests.support.stack import Stack

FIRST_PASSWORD = "teal otter lamp 42"


async def test_company_admin_adds_edits_disables_and_removes_technicians(
    web: Stack, page: Page, browser: Browser
) -> None:
    creds = await web.company()
    admin = await web.user(Role.company_admin, [creds.id])
    colleague = await web.user(Role.technician, [creds.id])
    as_admin = bearer(admin["access_token"])
    email = f"nora-{uuid.uuid4().hex[:6]}@example.com"

    await sign_in(page, web.url, admin)
    await page.goto(f"{web.url}/technicians?company={creds.id}")
    people = page.get_by_test_id("technician-table")
    await expect(people).to_contain_text(colleague["email"])
    await page.get_by_role("button", name="Add a person").click()
    form = page.get_by_role("form", name="Add a person")
    # A company admin gives the technician role only.
    await expect(form.get_by_label("Role", exact=True).locator("option")).to_have_text(["technician"])
    await form.get_by_label("Email", exact=True).fill(colleague["email"])
    await form.get_by_label("Name", exact=True).fill("Nora Network")
    await form.get_by_label("Category", exact=True).fill("Network")
    password = form.get_by_label("First password")
    await password.fill("password1234")
    await form.get_by_role("button", name="Add person").click()
    await expect(form.get_by_test_id("field-error")).to_have_text(
        "is a commonly used password (found in lists of breached passwords); choose another"
    )
    await expect(password).to_have_attribute("aria-invalid", "true")
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "people-add-refused")

    await password.fill(FIRST_PASSWORD)
    await form.get_by_role("button", name="Add person").click()
    email_field = form.get_by_label("Email", exact=True)
    await expect(email_field).to_have_attribute("aria-invalid", "true")
    await expect(form.get_by_test_id("field-error")).to_have_text(
        f"a user with email {colleague['email']} already exists"
    )
    await expect(password).not_to_have_attribute("aria-invalid", "true")

    await email_field.fill(email)
    await form.get_by_role("button", name="Add person").click()
    await expect(page.get_by_test_id("first-password").get_by_test_id("secret-value")).to_have_text(
        FIRST_PASSWORD
    )
    nora_row = people.get_by_role("row").filter(has_text=email)
    await expect(nora_row.get_by_test_id("person-category")).to_have_text("Network")
    await expect(nora_row).to_contain_text("Nora Network")
    await screenshot(page, "people-added")
    listed = await web.http.get(f"{web.url}/api/users", params={"company_id": creds.id}, headers=as_admin)
    nora = next(u for u in listed.json() if u["email"] == email)
    assert (nora["name"], nora["role"], nora["category"], nora["company_ids"]) == (
        "Nora Network",
        "technician",
        "Network",
        [creds.id],
    )

    # The new technician signs in with the password set, and sees no way to manage anyone.
    as_nora = await browser.new_context()
    try:
        mine = await as_nora.new_page()
        await sign_in(mine, web.url, {"email": email, "password": FIRST_PASSWORD})
        await mine.goto(f"{web.url}/technicians?company={creds.id}")
        await expect(mine.get_by_test_id("technician-table")).to_contain_text("Nora Network")
        await expect(mine.get_by_role("button", name="Add a person")).to_have_count(0)
        await expect(mine.get_by_role("button", name="Edit", exact=False)).to_have_count(0)
        await expect(mine.get_by_role("button", name="Remove", exact=False)).to_have_count(0)
        await screenshot(mine, "people-as-technician")
    finally:
        await as_nora.close()

    await nora_row.get_by_role("button", name="Edit Nora Network").click()
    edit = page.get_by_role("form", name="Edit Nora Network")
    await edit.get_by_label("Category", exact=True).fill("Database")
    await edit.get_by_label("Account disabled").check()
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "people-edit")
    await edit.get_by_role("button", name="Save person").click()
    await expect(edit).to_have_count(0)
    await expect(nora_row.get_by_test_id("person-category")).to_have_text("Database")
    await expect(nora_row).to_contain_text("disabled")
    stored = (await web.http.get(f"{web.url}/api/users/{nora['id']}", headers=as_admin)).json()
    assert (stored["category"], stored["disabled"]) == ("Database", True)
    refused = await web.http.post(
        f"{web.url}/api/auth/login", json={"email": email, "password": FIRST_PASSWORD}
    )
    assert refused.status_code == 401

    # Removing asks first; the colleague, in no other company, leaves it and is disabled.
    await people.get_by_role("button", name=f"Remove {colleague['email']}").click()
    confirm = page.get_by_role("alertdialog")
    await expect(confirm).to_contain_text("They leave your companies")
    assert await serious_accessibility_violations(page) == []
    await screenshot(page, "people-remove")
    await confirm.get_by_role("button", name=f"Yes, remove {colleague['email']}").click()
    await expect(people.get_by_role("row").filter(has_text=colleague["email"])).to_have_count(0)
    msp = await web.user(Role.msp_admin, [])
    gone = await web.http.get(f"{web.url}/api/users/{colleague['id']}", headers=bearer(msp["access_token"]))
    assert (gone.json()["disabled"], gone.json()["company_ids"]) == (True, [])

    # The add form fits a phone: nothing wider than the screen but the table's own scrolling box.
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.get_by_role("button", name="Add a person").click()
    await expect(page.get_by_role("form", name="Add a person")).to_be_visible()
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the add form is {overflow}px wider than a phone"
    await screenshot(page, "phone-people-add")
