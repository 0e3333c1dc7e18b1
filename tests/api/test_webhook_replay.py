"""A captured signed request cannot be stored again under new delivery ids: a `sha256=` signature is
good for the delivery id it first came with, and a `v2=` signature covers the delivery id itself."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.client import Client

from core.db.migrate import upgrade_to_head
from core.db.models import UsedWebhookSignature
from core.ingest.replay import purge_used_signatures
from core.ingest.signature import sign
from core.settings import Settings
from tests.support.stack import Stack, TenantCreds, accepted, alert_body, make_stack, signed_headers

REPLAYED = "X-Signature was already used by another delivery"


def captured(creds: TenantCreds, raw: bytes) -> dict[str, str]:
    """A request as an eavesdropper (or an access log) would see it: signed with sha256=."""
    return signed_headers(creds, raw, covering_delivery_id=False)


async def post(stack: Stack, raw: bytes, headers: dict[str, str], **changes: str) -> httpx.Response:
    return await stack.http.post(
        f"{stack.url}/api/webhooks/alerts", content=raw, headers={**headers, **changes}
    )


async def test_signed_request_replayed_under_new_delivery_ids_is_refused_and_writes_nothing(
    stack: Stack,
) -> None:
    acme = await stack.company()
    raw = json.dumps(alert_body()).encode()
    headers = captured(acme, raw)
    first = await post(stack, raw, headers)
    accepted(first)
    for _ in range(3):
        replay = await post(stack, raw, headers, **{"X-Delivery-ID": str(uuid.uuid4())})
        assert replay.status_code == 401
        assert REPLAYED in replay.json()["detail"]
    assert await stack.count_rows("alert", acme.id) == 1
    assert await stack.count_rows("webhook_delivery", acme.id) == 1


async def test_retry_with_the_same_signature_and_delivery_id_still_answers_duplicate(stack: Stack) -> None:
    acme = await stack.company()
    raw = json.dumps(alert_body()).encode()
    headers = captured(acme, raw)
    first = await post(stack, raw, headers)
    retry = await post(stack, raw, headers)
    accepted(first), accepted(retry)  # 202 queued for a duplicate its incident has not recorded yet
    assert retry.json()["duplicate"] is True
    assert retry.json()["alert_id"] == first.json()["alert_id"]
    assert await stack.count_rows("alert", acme.id) == 1


async def test_a_request_refused_for_its_body_spends_no_signature(stack: Stack) -> None:
    acme = await stack.company()
    raw = json.dumps(alert_body(severity="urgent")).encode()
    headers = captured(acme, raw)
    assert (await post(stack, raw, headers)).status_code == 422
    again = await post(stack, raw, headers, **{"X-Delivery-ID": str(uuid.uuid4())})
    assert again.status_code == 422  # the body's fault, whatever the delivery id: it can never be stored
    assert await stack.count_rows("webhook_signature", acme.id) == 0


async def test_v2_signature_covers_the_delivery_id(stack: Stack) -> None:
    acme = await stack.company()
    raw = json.dumps(alert_body()).encode()
    headers = signed_headers(acme, raw)
    assert headers["X-Signature"].startswith("v2=")
    first = await post(stack, raw, headers)
    accepted(first)
    replay = await post(stack, raw, headers, **{"X-Delivery-ID": str(uuid.uuid4())})
    assert replay.status_code == 401
    assert "X-Signature does not match" in replay.json()["detail"]
    # Byte-identical alerts in the same second are distinct deliveries when each signs its delivery id.
    twin = await post(stack, raw, signed_headers(acme, raw, timestamp=int(headers["X-Timestamp"])))
    accepted(twin)
    assert twin.json()["duplicate"] is False
    assert await stack.count_rows("alert", acme.id) == 2


async def test_v2_signature_needs_the_delivery_id_header(stack: Stack) -> None:
    acme = await stack.company()
    raw = json.dumps(alert_body()).encode()
    headers = {k: v for k, v in signed_headers(acme, raw).items() if k != "X-Delivery-ID"}
    response = await stack.http.post(f"{stack.url}/api/webhooks/alerts", content=raw, headers=headers)
    assert response.status_code == 401
    assert "covers X-Delivery-ID" in response.json()["detail"]


async def test_the_same_signature_may_serve_two_companies(stack: Stack) -> None:
    # Not a replay: each company's signature is checked with its own secret, and kept apart.
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    raw = json.dumps(alert_body()).encode()
    ts = str(int(time.time()))
    signature = sign(acme.hmac_secret, ts, raw)
    async with stack.services.sessions() as session, session.begin():
        await session.execute(
            UsedWebhookSignature.__table__.insert().values(  # type: ignore[attr-defined]
                company_id=globex.id,
                signature_digest=hashlib.sha256(signature.encode()).hexdigest(),
                delivery_digest="",
                expires_at=datetime.now(UTC) + timedelta(minutes=5),
            )
        )
    answer = await post(stack, raw, captured(acme, raw), **{"X-Timestamp": ts, "X-Signature": signature})
    accepted(answer)


async def test_datadog_signed_notification_replayed_with_a_new_delivery_id_is_refused(stack: Stack) -> None:
    acme = await stack.company()
    raw = json.dumps(
        {"alert_transition": "Triggered", "id": "evt-1", "alert_title": "CPU high", "hostname": "web-1"}
    ).encode()
    headers = captured(acme, raw)
    del headers["X-Delivery-ID"]  # Datadog's own event id names the delivery
    url = f"{stack.url}/api/webhooks/datadog"
    first = await stack.http.post(url, content=raw, headers=headers)
    accepted(first)
    again = await stack.http.post(url, content=raw, headers=headers)
    assert accepted(again)["alerts"][0]["duplicate"] is True
    replay = await stack.http.post(url, content=raw, headers={**headers, "X-Delivery-ID": "new"})
    assert replay.status_code == 401
    assert REPLAYED in replay.json()["detail"]
    assert await stack.count_rows("alert", acme.id) == 1


@pytest.fixture
async def second_process(settings: Settings, temporal_client: Client) -> AsyncIterator[Stack]:
    """Another API process on the same database (services, caches and connection pool of its own)."""
    other = make_stack(settings, temporal_client)
    await other.start_api()
    yield other
    await other.close()


async def test_concurrent_replays_across_two_api_processes_store_one_alert(
    stack: Stack, second_process: Stack
) -> None:
    acme = await stack.company()
    raw = json.dumps(alert_body()).encode()
    headers = captured(acme, raw)
    sends = [
        post(target, raw, headers, **{"X-Delivery-ID": f"replay-{n}-{i}"})
        for n in range(10)
        for i, target in enumerate((stack, second_process))
    ]
    answers = await asyncio.gather(*sends)
    [stored] = [a for a in answers if a.status_code != 401]
    accepted(stored)
    assert all(REPLAYED in a.json()["detail"] for a in answers if a.status_code == 401)
    assert await stack.count_rows("alert", acme.id) == 1
    assert await stack.count_rows("webhook_delivery", acme.id) == 1


async def test_used_signatures_are_purged_once_their_window_has_passed(stack: Stack) -> None:
    acme = await stack.company()
    raw = json.dumps(alert_body()).encode()
    accepted(await post(stack, raw, captured(acme, raw)))

    async def used() -> int:
        async with stack.services.sessions() as session:
            rows = await session.execute(
                select(func.count())
                .select_from(UsedWebhookSignature)
                .where(UsedWebhookSignature.company_id == acme.id)
            )
            return int(rows.scalar_one())

    assert await used() == 1
    async with stack.services.sessions() as session, session.begin():
        await purge_used_signatures(session, datetime.now(UTC))
    assert await used() == 1  # still inside its window
    async with stack.services.sessions() as session, session.begin():
        await purge_used_signatures(session, datetime.now(UTC) + timedelta(seconds=302))
    assert await used() == 0


async def test_replays_are_refused_on_sqlite_too(
    settings: Settings, temporal_client: Client, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'aw.db'}"
    await asyncio.to_thread(upgrade_to_head, url)
    running = make_stack(settings.model_copy(update={"database_url": url}), temporal_client)
    await running.start_api()
    running.start_worker()
    try:
        acme = await running.company()
        raw = json.dumps(alert_body()).encode()
        headers = captured(acme, raw)
        first = await post(running, raw, headers)
        accepted(first)
        retry = await post(running, raw, headers)
        assert accepted(retry)["duplicate"] is True
        replays = await asyncio.gather(
            *(post(running, raw, headers, **{"X-Delivery-ID": f"r-{n}"}) for n in range(5))
        )
        assert [r.status_code for r in replays] == [401] * 5
        assert await running.count_rows("alert", acme.id) == 1
    finally:
        await running.close()
