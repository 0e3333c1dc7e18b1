"""A credentials change made through one API process takes effect on every other within a second,
although each caches companies by key (tested with two API processes sharing one database)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client

from core.accounts.roles import Role
from core.settings import Settings
from tests.support.signin import bearer
from tests.support.stack import Stack, accepted, alert_body, make_stack


@pytest.fixture
async def second_process(settings: Settings, temporal_client: Client) -> AsyncIterator[Stack]:
    """Another API process on the same database: its own services, cache and connection pool."""
    other = make_stack(settings, temporal_client)
    await other.start_api()  # its alerts reach incidents through the first stack's worker
    yield other
    await other.close()


async def test_key_revoked_through_one_process_is_refused_by_another_within_a_second(
    stack: Stack, second_process: Stack
) -> None:
    acme = await stack.company()
    admin = await stack.user(Role.company_admin, [acme.id])
    # The other process has the key in its cache.
    warm = await second_process.post_alert(acme, alert_body())
    accepted(warm)

    keys = await stack.http.get(
        f"{stack.url}/api/companies/{acme.id}/api-keys", headers=bearer(admin["access_token"])
    )
    [key] = keys.json()
    revoked = await stack.http.delete(
        f"{stack.url}/api/companies/{acme.id}/api-keys/{key['id']}", headers=bearer(admin["access_token"])
    )
    assert revoked.status_code == 204
    revoked_at = time.monotonic()

    while True:
        answer = await second_process.post_alert(acme, alert_body())
        elapsed = time.monotonic() - revoked_at
        if answer.status_code == 401:
            break
        accepted(answer)
        assert elapsed < 1.0, "the other process still accepts the revoked key after a second"
    assert answer.json()["detail"] == "unknown API key"
    assert elapsed < 1.0


async def test_secret_rotated_without_grace_through_one_process_stops_verifying_on_another_within_a_second(
    stack: Stack, second_process: Stack
) -> None:
    acme = await stack.company()
    admin = await stack.user(Role.company_admin, [acme.id])
    warm = await second_process.post_alert(acme, alert_body())
    accepted(warm)

    rotated = await stack.http.post(
        f"{stack.url}/api/companies/{acme.id}/hmac-secret/rotate",
        json={"grace_hours": 0},
        headers=bearer(admin["access_token"]),
    )
    assert rotated.status_code == 200, rotated.text
    rotated_at = time.monotonic()

    while True:
        answer = await second_process.post_alert(acme, alert_body())
        elapsed = time.monotonic() - rotated_at
        if answer.status_code == 401:
            break
        accepted(answer)
        assert elapsed < 1.0, "the other process still accepts the replaced secret after a second"
    assert "X-Signature does not match" in answer.json()["detail"]
    assert elapsed < 1.0
