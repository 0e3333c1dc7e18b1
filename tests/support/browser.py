"""The web UI in a real browser: Debian's Chromium driven by Playwright (it cannot download its own
here), the UI built by `make ui` when its sources changed, sign-in, axe-core checks and screenshots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from core.accounts.roles import Role
from tests.support.stack import Stack, TenantCreds

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "tests" / "artifacts" / "screenshots"
AXE_SCRIPT = REPO / "ui" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}
MISSING_CHROMIUM = (
    f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing (apt-get install chromium; .ci/run does it as root)"
)


def build_ui() -> None:
    """`make ui` decides: nothing when the build matches the sources, else types, tsc and vite build.
    STAMP= because pytest already runs in an installed environment (this interpreter's)."""
    run = subprocess.run(
        ["make", "--no-print-directory", "ui", f"BIN={Path(sys.executable).parent}", "STAMP="],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, f"`make ui` failed:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"


async def sign_in(page: Page, url: str, user: dict[str, str]) -> None:
    await page.goto(f"{url}/")
    await page.get_by_label("Email").fill(user["email"])
    await page.get_by_label("Password").fill(user["password"])
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_test_id("signed-in-as")).to_be_visible(timeout=15_000)


async def signed_in_technician(web: Stack, page: Page) -> tuple[TenantCreds, dict[str, str]]:
    """A new company, and `page` signed in as a technician of it: the company's credentials and the user."""
    creds = await web.company()
    tech = await web.user(Role.technician, [creds.id])
    await sign_in(page, web.url, tech)
    return creds, tech


async def live(page: Page) -> None:
    """Until the page's WebSocket is authenticated: events from now on reach it."""
    await expect(page.get_by_test_id("live-status")).to_have_text("Live", timeout=15_000)


async def serious_accessibility_violations(page: Page) -> list[dict[str, Any]]:
    await page.add_script_tag(path=str(AXE_SCRIPT))
    result = await page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]


async def screenshot(page: Page, name: str) -> Path:
    """The page once nothing on it is still loading, so the picture shows what a person reads."""
    await expect(page.get_by_role("status").filter(has_text="Loading")).to_have_count(0, timeout=15_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
