"""Sign-in under attack, through the HTTP API over uvicorn and PostgreSQL: password checks do not stall
ingestion, concurrent guesses cannot outrun the throttle, X-Forwarded-For is believed only from
configured proxies, weak passwords are refused, and other tenants' users cannot be probed by email."""

from __future__ import annotations

import asyncio
import json
import statistics
import threading
import time
import uuid
from typing import Any

import httpx
import pytest

from core.accounts.roles import Role
from core.settings import Settings
from tests.support.signin import bearer, device, fresh_ip, login
from tests.support.stack import Stack, TenantCreds, alert_body, signed_headers


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The shared test settings, with a test's overrides:
    `@pytest.mark.parametrize("settings", [{...}], indirect=True)`."""
    overrides: dict[str, Any] = getattr(request, "param", {})
    return settings.model_copy(update=overrides)


WEBHOOK_INTERVAL_S = 0.1  # 10 a second: a steady stream that a loaded 2-core box keeps up with


def _webhook_latencies(
    url: str, creds: TenantCreds, count: int, until: threading.Event | None = None
) -> list[float]:
    """Webhooks due every WEBHOOK_INTERVAL_S (at least `count`, and on until `until` is set), each timed
    from when it was due, so one that waits behind a stalled server counts for every one it held up. From
    a thread of its own with its own HTTP client: the API runs on this test's event loop, and a client on
    that loop would stall with it and never see the delay."""
    latencies: list[float] = []
    start = time.perf_counter()
    with httpx.Client(timeout=120) as client:
        while len(latencies) < count or (until is not None and not until.is_set()):
            due = start + len(latencies) * WEBHOOK_INTERVAL_S
            time.sleep(max(0.0, due - time.perf_counter()))
            raw = json.dumps(alert_body()).encode()
            response = client.post(
                f"{url}/api/webhooks/alerts", content=raw, headers=signed_headers(creds, raw)
            )
            latencies.append(time.perf_counter() - due)
            assert response.status_code in (200, 202), response.text
    return latencies


async def test_a_burst_of_anonymous_logins_does_not_slow_webhooks(stack: Stack) -> None:
    """20 concurrent sign-ins for unknown emails from one address (a quarter of a second of Argon2 each)
    beside a stream of webhooks for as long as the sign-ins last: the webhooks' median latency stays near
    what it is without them. With the hash on the event loop it rose from milliseconds to seconds."""
    creds = await stack.company("Latency")
    await asyncio.to_thread(_webhook_latencies, stack.url, creds, 3)  # the workflow, the connections
    quiet = statistics.median(await asyncio.to_thread(_webhook_latencies, stack.url, creds, 30))

    source = fresh_ip()
    burst_client = httpx.AsyncClient(timeout=120)

    async def anonymous_login(n: int) -> int:
        response = await burst_client.post(
            f"{stack.url}/api/auth/login",
            json={"email": f"nobody-{n}-{uuid.uuid4().hex[:6]}@example.com", "password": "guess guess"},
            headers=device(ip=source),
        )
        return response.status_code

    burst_over = threading.Event()
    started = time.perf_counter()
    webhooks = asyncio.ensure_future(asyncio.to_thread(_webhook_latencies, stack.url, creds, 20, burst_over))
    try:
        statuses = await asyncio.gather(*(anonymous_login(n) for n in range(20)))
    finally:
        burst_over.set()
        await burst_client.aclose()
    burst_s = time.perf_counter() - started
    during = await webhooks
    loaded = statistics.median(during)
    print(
        f"\nwebhook p50 without logins {quiet * 1000:.0f} ms; during 20 concurrent logins ({burst_s:.1f} s) "
        f"{loaded * 1000:.0f} ms over {len(during)} webhooks (max {max(during) * 1000:.0f} ms)"
    )
    assert statuses == [401] * 20
    assert loaded < 3 * quiet + 0.25, (quiet, loaded)


@pytest.mark.parametrize("settings", [{"login_backoff_base_s": 60.0}], indirect=True)
async def test_concurrent_guesses_check_no_more_passwords_than_the_limit(stack: Stack) -> None:
    """40 wrong passwords at once for one account from one address: 5 are checked (401), the others are
    refused unchecked (429), and the right password is then refused too."""
    acme = await stack.company()
    user = await stack.user(Role.technician, [acme.id])
    ip = fresh_ip()
    answers = await asyncio.gather(
        *(login(stack, user["email"], f"wrong guess {n}", device(ip=ip)) for n in range(40))
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(401) == 5 and statuses.count(429) == 35, statuses
    assert (await login(stack, user["email"], user["password"], device(ip=ip))).status_code == 429


async def _session_ip(stack: Stack, user: dict[str, str], headers: dict[str, str]) -> str:
    response = await login(stack, user["email"], user["password"], headers)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    listed = await stack.http.get(f"{stack.url}/api/auth/sessions", headers=bearer(token))
    (current,) = [s for s in listed.json() if s["current"]]
    return str(current["ip"])


@pytest.mark.parametrize("settings", [{"trusted_proxies": []}], indirect=True)
async def test_forwarded_for_is_ignored_without_trusted_proxies(stack: Stack) -> None:
    """By default a client cannot choose the address it is known (and throttled) by."""
    acme = await stack.company()
    user = await stack.user(Role.technician, [acme.id])
    assert await _session_ip(stack, user, {"X-Forwarded-For": "203.0.113.9"}) == "127.0.0.1"


@pytest.mark.parametrize("settings", [{"trusted_proxies": ["127.0.0.0/8", "10.9.0.0/16"]}], indirect=True)
async def test_forwarded_for_names_the_first_address_beyond_the_trusted_proxies(stack: Stack) -> None:
    acme = await stack.company()
    user = await stack.user(Role.technician, [acme.id])
    assert await _session_ip(stack, user, {"X-Forwarded-For": "203.0.113.9"}) == "203.0.113.9"
    # A client that sends its own X-Forwarded-For gets the address the proxies saw, not its claim.
    chain = "198.51.100.66, 203.0.113.9, 10.9.0.1"
    assert await _session_ip(stack, user, {"X-Forwarded-For": chain}) == "203.0.113.9"


def _new_user(company_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "email": f"tech-{uuid.uuid4().hex[:8]}@example.com",
        "password": "a long enough password",
        "role": "technician",
        "company_ids": [company_id],
        **extra,
    }


@pytest.mark.parametrize(
    "password",
    ["12345678", "password", "        ", "            ", "Password123!", "qwertyuiop123", "dragondragon"],
)
async def test_weak_passwords_are_refused_everywhere_with_a_reason(stack: Stack, password: str) -> None:
    acme = await stack.company()
    admin = await stack.user(Role.company_admin, [acme.id])
    technician = await stack.user(Role.technician, [acme.id])
    created = await stack.http.post(
        f"{stack.url}/api/users",
        json=_new_user(acme.id, password=password),
        headers=bearer(admin["access_token"]),
    )
    updated = await stack.http.put(
        f"{stack.url}/api/users/{technician['id']}",
        json={"password": password},
        headers=bearer(admin["access_token"]),
    )
    changed = await stack.http.post(
        f"{stack.url}/api/users/me/password",
        json={"current_password": technician["password"], "new_password": password},
        headers={**bearer(technician["access_token"]), **device()},
    )
    for answer in (created, updated, changed):
        assert answer.status_code == 422, answer.text
        (error,) = answer.json()["detail"]
        assert error["loc"][-1] in ("password", "new_password"), error
        assert any(
            reason in error["msg"]
            for reason in ("at least 12 characters", "different characters", "commonly used password")
        ), error
    assert (await login(stack, technician["email"], technician["password"])).status_code == 200


async def test_password_containing_the_email_is_refused(stack: Stack) -> None:
    acme = await stack.company()
    admin = await stack.user(Role.company_admin, [acme.id])
    body = _new_user(acme.id, email="sam.sysadmin@example.com", password="Sam.Sysadmin-2026")
    refused = await stack.http.post(
        f"{stack.url}/api/users", json=body, headers=bearer(admin["access_token"])
    )
    assert refused.status_code == 422 and "must not contain your email" in refused.text


async def test_company_admin_cannot_learn_that_an_email_exists_in_another_tenant(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    acme_technician = await stack.user(Role.technician, [acme.id])
    globex_technician = await stack.user(Role.technician, [globex.id])
    globex_admin = await stack.user(Role.company_admin, [globex.id])
    msp = await stack.user(Role.msp_admin, [])

    async def create(caller: dict[str, str], email: str) -> httpx.Response:
        return await stack.http.post(
            f"{stack.url}/api/users",
            json=_new_user(globex.id, email=email),
            headers=bearer(caller["access_token"]),
        )

    async def rename(caller: dict[str, str], email: str) -> httpx.Response:
        return await stack.http.put(
            f"{stack.url}/api/users/{globex_technician['id']}",
            json={"email": email},
            headers=bearer(caller["access_token"]),
        )

    other_tenant = acme_technician["email"]
    beyond_my_companies = await stack.http.post(
        f"{stack.url}/api/users",
        json=_new_user(acme.id),
        headers=bearer(globex_admin["access_token"]),
    )
    for probe in (await create(globex_admin, other_tenant), await rename(globex_admin, other_tenant)):
        # Exactly the refusal for any user beyond the caller's companies: nothing says "exists".
        assert (
            (probe.status_code, probe.json())
            == (
                beyond_my_companies.status_code,
                beyond_my_companies.json(),
            )
            == (403, {"detail": "you can only add users to your own companies"})
        )
    # A user the company admin can see anyway, and the MSP admin, still get the precise answer.
    own = await create(globex_admin, globex_admin["email"])
    assert own.status_code == 409 and "already exists" in own.json()["detail"]
    for precise in (await create(msp, other_tenant), await rename(msp, other_tenant)):
        assert precise.status_code == 409 and "already exists" in precise.json()["detail"]
