"""How long a signed webhook takes to put its incident on an open dashboard (the issue's bar: 2 s).

The embedded stack of `make run` (bench/embedded_stack.py) in a child process serves the built UI; a
headless Chromium signs in, waits for the live socket, then for each alert (one new incident each, sent
one after another) times from the webhook's answer to the incident's row on screen. Prints the figures.

    .venv/bin/python bench/ui_live.py --alerts 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from embedded_stack import run_in_child
from playwright.async_api import async_playwright

from core.ingest.signature import sign_with_delivery_id

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=20)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    return parser.parse_args()


def build_ui() -> None:
    bin_dir = Path(sys.executable).parent
    subprocess.run(["make", "--no-print-directory", "ui", f"BIN={bin_dir}", "STAMP="], cwd=REPO, check=True)


def create_user(database_url: str, company_id: str) -> str:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    env = {**os.environ, "AW_DATABASE_URL": database_url}
    subprocess.run(
        [sys.executable, "-m", "worker.cli", "user", "create", "--email", email, "--password", PASSWORD,
         "--role", "company_admin", "--company", company_id],
        cwd=REPO, env=env, check=True, capture_output=True,
    )  # fmt: skip
    return email


async def main(args: argparse.Namespace) -> None:
    build_ui()
    with tempfile.TemporaryDirectory(prefix="aw-ui-bench-") as workdir:
        async with run_in_child(Path(workdir), tenant_rate_limit=1000) as running, async_playwright() as pw:
            info = running.info
            assert info.database_url and info.company_id
            email = create_user(info.database_url, info.company_id)
            browser = await pw.chromium.launch(executable_path=args.chromium, headless=True)
            page = await browser.new_page()
            await page.goto(f"{info.url}/")
            await page.get_by_label("Email").fill(email)
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            await page.get_by_test_id("live-status").get_by_text("Live").wait_for(timeout=30_000)
            feed_ready = page.get_by_text("No incidents yet")
            await feed_ready.wait_for(timeout=30_000)
            seconds = []
            async with httpx.AsyncClient(timeout=30) as http:
                for i in range(args.alerts):
                    asset = f"bench-{i}-{uuid.uuid4().hex[:6]}"
                    body = json.dumps(
                        {"asset_name": asset, "signature": "disk_full", "severity": "high",
                         "message": "benchmark", "tool_source": "bench"}
                    ).encode()  # fmt: skip
                    ts, delivery = str(int(time.time())), uuid.uuid4().hex
                    headers = {
                        "Content-Type": "application/json",
                        "X-API-Key": info.api_key,
                        "X-Timestamp": ts,
                        "X-Signature": sign_with_delivery_id(info.hmac_secret, ts, delivery, body),
                        "X-Delivery-ID": delivery,
                    }
                    answer = await http.post(f"{info.url}/api/webhooks/alerts", content=body, headers=headers)
                    answer.raise_for_status()
                    answered = time.perf_counter()
                    await page.get_by_test_id("incident-feed").get_by_text(asset).wait_for(timeout=30_000)
                    seconds.append(time.perf_counter() - answered)
            await browser.close()
    seconds.sort()

    def pct(p: float) -> float:
        return seconds[min(len(seconds) - 1, int(p * len(seconds)))]

    print(
        f"webhook answered -> incident on the open dashboard, {len(seconds)} alerts: "
        f"p50 {pct(0.5) * 1000:.0f} ms, p95 {pct(0.95) * 1000:.0f} ms, max {seconds[-1] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
