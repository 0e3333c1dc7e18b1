"""Every way the alert webhook refuses a request, and that a refused request stores nothing."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from temporalio.client import Client

from core.ingest.signature import sign
from core.settings import Settings
from tests.support.stack import Stack, accepted, alert_body, make_stack, signed_headers

MAX_BODY = 256 * 1024


async def send(
    stack: Stack, raw: bytes, headers: dict[str, str], *, params: dict[str, str] | None = None
) -> httpx.Response:
    return await stack.http.post(
        f"{stack.url}/api/webhooks/alerts", content=raw, headers=headers, params=params
    )


async def assert_nothing_written(stack: Stack, company_id: str) -> None:
    assert await stack.count_rows("alert", company_id) == 0
    assert await stack.count_rows("webhook_delivery", company_id) == 0


def encoded(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() != name.lower()}


def error_fields(response: httpx.Response) -> dict[tuple[Any, ...], str]:
    """Maps each error's location to its type, e.g. {("body", "severity"): "enum"}."""
    return {tuple(e["loc"]): e["type"] for e in response.json()["detail"]}


# --- 401: who is calling and did they sign it ------------------------------------------------------------


async def test_unknown_api_key_is_rejected_and_writes_nothing(stack: Stack) -> None:
    acme = await stack.company()
    response = await stack.post_alert(acme, alert_body(), headers={"X-API-Key": "awk_" + "0" * 40})
    assert response.status_code == 401
    assert response.json()["detail"] == "unknown API key"
    await assert_nothing_written(stack, acme.id)


async def test_missing_api_key_is_rejected_and_writes_nothing(stack: Stack) -> None:
    acme = await stack.company()
    raw = encoded(alert_body())
    response = await send(stack, raw, without(signed_headers(acme, raw), "X-API-Key"))
    assert response.status_code == 401
    assert "missing API key" in response.json()["detail"]
    await assert_nothing_written(stack, acme.id)


async def test_api_key_in_query_string_is_accepted_instead_of_header(stack: Stack) -> None:
    acme = await stack.company()
    raw = encoded(alert_body())
    response = await send(
        stack, raw, without(signed_headers(acme, raw), "X-API-Key"), params={"api_key": acme.api_key}
    )
    assert await stack.incident_of(response)
    assert await stack.count_rows("alert", acme.id) == 1


async def test_unknown_api_key_in_query_string_is_rejected_and_writes_nothing(stack: Stack) -> None:
    acme = await stack.company()
    raw = encoded(alert_body())
    response = await send(
        stack, raw, without(signed_headers(acme, raw), "X-API-Key"), params={"api_key": "not-a-key"}
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "unknown API key"
    await assert_nothing_written(stack, acme.id)


async def test_another_companys_api_key_does_not_verify_this_companys_signature(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    response = await stack.post_alert(acme, alert_body(), headers={"X-API-Key": globex.api_key})
    assert response.status_code == 401
    assert "X-Signature does not match" in response.json()["detail"]
    await assert_nothing_written(stack, acme.id)
    await assert_nothing_written(stack, globex.id)


async def test_missing_signature_is_rejected_and_writes_nothing(stack: Stack) -> None:
    acme = await stack.company()
    raw = encoded(alert_body())
    response = await send(stack, raw, without(signed_headers(acme, raw), "X-Signature"))
    assert response.status_code == 401
    assert "missing X-Signature" in response.json()["detail"]
    await assert_nothing_written(stack, acme.id)


async def test_missing_timestamp_is_rejected_and_writes_nothing(stack: Stack) -> None:
    acme = await stack.company()
    raw = encoded(alert_body())
    response = await send(stack, raw, without(signed_headers(acme, raw), "X-Timestamp"))
    assert response.status_code == 401
    assert "missing X-Timestamp" in response.json()["detail"]
    await assert_nothing_written(stack, acme.id)


@pytest.mark.parametrize(
    "signature",
    [
        "sha256=" + "0" * 64,
        "sha256=",
        "0" * 64,  # the hex digest without its scheme prefix
        "sha1=" + "0" * 40,
    ],
)
async def test_wrong_signature_is_rejected_and_writes_nothing(stack: Stack, signature: str) -> None:
    acme = await stack.company()
    response = await stack.post_alert(acme, alert_body(), headers={"X-Signature": signature})
    assert response.status_code == 401
    detail = response.json()["detail"]
    assert "X-Signature" in detail
    await assert_nothing_written(stack, acme.id)


async def test_signature_made_with_the_wrong_secret_is_rejected_and_writes_nothing(stack: Stack) -> None:
    acme = await stack.company()
    raw = encoded(alert_body())
    ts = str(int(time.time()))
    response = await stack.post_alert(
        acme, raw, timestamp=int(ts), headers={"X-Signature": sign("not-the-secret", ts, raw)}
    )
    assert response.status_code == 401
    assert "X-Signature does not match the body" in response.json()["detail"]
    await assert_nothing_written(stack, acme.id)


async def test_signature_over_a_different_body_is_rejected_and_writes_nothing(stack: Stack) -> None:
    acme = await stack.company()
    ts = str(int(time.time()))
    signed_for = encoded(alert_body(severity="low"))
    response = await stack.post_alert(
        acme,
        alert_body(severity="critical"),
        timestamp=int(ts),
        headers={"X-Signature": sign(acme.hmac_secret, ts, signed_for)},
    )
    assert response.status_code == 401
    assert "X-Signature does not match the body" in response.json()["detail"]
    await assert_nothing_written(stack, acme.id)


async def test_signature_over_a_different_timestamp_is_rejected_and_writes_nothing(stack: Stack) -> None:
    acme = await stack.company()
    raw = encoded(alert_body())
    now = int(time.time())
    response = await stack.post_alert(
        acme, raw, timestamp=now, headers={"X-Signature": sign(acme.hmac_secret, str(now - 1), raw)}
    )
    assert response.status_code == 401
    assert "X-Signature does not match the body" in response.json()["detail"]
    await assert_nothing_written(stack, acme.id)


@pytest.mark.parametrize(
    ("offset_s", "reason"),
    [
        (-301, "more than 300 s from the server's clock"),
        (-3600, "more than 300 s from the server's clock"),
        (61, "more than 60 s ahead of the server's clock"),
        (299, "more than 60 s ahead of the server's clock"),
        (3600, "more than 60 s ahead of the server's clock"),
    ],
    ids=["301s-old", "1h-old", "61s-ahead", "299s-ahead", "1h-ahead"],
)
async def test_timestamp_outside_tolerance_is_rejected_even_when_correctly_signed(
    stack: Stack, offset_s: int, reason: str
) -> None:
    acme = await stack.company()
    # stack.post_alert signs with the timestamp it sends, so only the clock check can refuse it. Sent at
    # the start of a second: late in one, 61 s ahead would be checked as 60.x s and pass (a flaky 200).
    now = await at_the_start_of_a_second()
    response = await stack.post_alert(acme, alert_body(), timestamp=now + offset_s)
    assert response.status_code == 401
    assert reason in response.json()["detail"]
    await assert_nothing_written(stack, acme.id)


async def at_the_start_of_a_second() -> int:
    """The current unix second, with most of it still to come: a request sent now is checked within it."""
    await asyncio.sleep(1 - time.time() % 1 + 0.01)
    return int(time.time())


@pytest.mark.parametrize(
    ("offset_s", "accepted"),
    [(-300, True), (-301, False), (60, True), (61, False)],
    ids=["300s-old", "301s-old", "60s-ahead", "61s-ahead"],
)
async def test_timestamp_tolerance_boundaries_are_300_s_back_and_60_s_ahead(
    stack: Stack, offset_s: int, accepted: bool
) -> None:
    acme = await stack.company()
    now = await at_the_start_of_a_second()
    response = await stack.post_alert(acme, alert_body(), timestamp=now + offset_s)
    if accepted:
        assert response.status_code in (200, 202), response.text
        assert await stack.count_rows("alert", acme.id) == 1
    else:
        assert response.status_code == 401
        assert "X-Timestamp is more than" in response.json()["detail"]
        await assert_nothing_written(stack, acme.id)


async def test_future_skew_is_configurable(settings: Settings, temporal_client: Client) -> None:
    running = make_stack(settings.model_copy(update={"webhook_future_skew_s": 5}), temporal_client)
    await running.start_api()
    try:
        acme = await running.company()
        now = await at_the_start_of_a_second()
        response = await running.post_alert(acme, alert_body(), timestamp=now + 30)
        assert response.status_code == 401
        assert "more than 5 s ahead" in response.json()["detail"]
    finally:
        await running.close()


@pytest.mark.parametrize(
    "timestamp",
    [
        "yesterday",
        "1.7e9",
        "1700000000.5",
        "0x6553f100",
        "-",
        "-1",
        "+1700000000",
        "1_700_000_000",
        "9" * 13,
        "9" * 310,
        "1" + "0" * 4300,
    ],
    ids=lambda t: t if len(t) < 20 else f"{len(t)}-chars",
)
async def test_non_numeric_timestamp_is_rejected_and_writes_nothing(stack: Stack, timestamp: str) -> None:
    acme = await stack.company()
    raw = encoded(alert_body())
    headers = signed_headers(acme, raw)
    headers.update({"X-Timestamp": timestamp, "X-Signature": sign(acme.hmac_secret, timestamp, raw)})
    response = await send(stack, raw, headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "X-Timestamp must be unix seconds"
    await assert_nothing_written(stack, acme.id)


# --- 400: delivery id ------------------------------------------------------------------------------------


async def test_missing_delivery_id_is_rejected_with_400_and_writes_nothing(stack: Stack) -> None:
    acme = await stack.company()
    raw = encoded(alert_body())
    headers = signed_headers(acme, raw, covering_delivery_id=False)
    response = await send(stack, raw, without(headers, "X-Delivery-ID"))
    assert response.status_code == 400
    assert "missing X-Delivery-ID" in response.json()["detail"]
    await assert_nothing_written(stack, acme.id)


async def test_empty_delivery_id_is_rejected_with_400_and_writes_nothing(stack: Stack) -> None:
    acme = await stack.company()
    response = await stack.post_alert(acme, alert_body(), headers={"X-Delivery-ID": ""})
    assert response.status_code == 400
    assert "missing X-Delivery-ID" in response.json()["detail"]
    await assert_nothing_written(stack, acme.id)


async def test_overlong_delivery_id_is_rejected_with_400_and_writes_nothing(stack: Stack) -> None:
    acme = await stack.company()
    response = await stack.post_alert(acme, alert_body(), delivery_id="d" * 201)
    assert response.status_code == 400
    assert "longer than 200" in response.json()["detail"]
    await assert_nothing_written(stack, acme.id)


# --- 413: size -------------------------------------------------------------------------------------------


def oversized_body() -> bytes:
    raw = encoded(alert_body(message="x" * MAX_BODY))
    assert len(raw) > MAX_BODY
    return raw


async def test_body_over_256_kib_is_rejected_with_413_and_writes_nothing(stack: Stack) -> None:
    acme = await stack.company()
    response = await stack.post_alert(acme, oversized_body())
    assert response.status_code == 413
    assert "larger than 262144 bytes" in response.json()["detail"]
    await assert_nothing_written(stack, acme.id)


async def test_body_of_exactly_256_kib_is_not_refused_for_its_size(stack: Stack) -> None:
    acme = await stack.company()
    skeleton = encoded(alert_body(message=""))
    raw = encoded(alert_body(message="x" * (MAX_BODY - len(skeleton))))
    assert len(raw) == MAX_BODY
    # The message limit (64 KiB) refuses it, but only after the size check let it through.
    response = await stack.post_alert(acme, raw)
    assert response.status_code == 422
    assert error_fields(response) == {("body", "message"): "string_too_long"}
    await assert_nothing_written(stack, acme.id)


async def test_chunked_body_over_256_kib_without_content_length_is_rejected_with_413(stack: Stack) -> None:
    acme = await stack.company()
    raw = oversized_body()
    headers = signed_headers(acme, raw)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(raw), 16 * 1024):
            yield raw[start : start + 16 * 1024]

    response = await stack.http.post(f"{stack.url}/api/webhooks/alerts", content=chunks(), headers=headers)
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413
    await assert_nothing_written(stack, acme.id)


async def test_chunked_body_under_the_limit_is_accepted(stack: Stack) -> None:
    acme = await stack.company()
    raw = encoded(alert_body())
    headers = signed_headers(acme, raw)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(raw), 7):
            yield raw[start : start + 7]

    response = await stack.http.post(f"{stack.url}/api/webhooks/alerts", content=chunks(), headers=headers)
    assert response.request.headers["transfer-encoding"] == "chunked"
    accepted(response)


async def test_declared_content_length_over_256_kib_is_refused_without_waiting_for_the_body(
    stack: Stack,
) -> None:
    acme = await stack.company()
    raw = encoded(alert_body())
    headers = signed_headers(acme, raw)
    host, port = stack.url.removeprefix("http://").split(":")
    head = [
        "POST /api/webhooks/alerts HTTP/1.1",
        f"Host: {host}",
        f"Content-Length: {MAX_BODY * 4}",
        *(f"{k}: {v}" for k, v in headers.items()),
        "",
        "",
    ]
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        # The sender claims 1 MiB but sends only a small body and then waits: only the declared
        # length can get it refused, and the answer must come without the rest of the body.
        writer.write("\r\n".join(head).encode() + raw)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=30)
    finally:
        writer.close()
    assert status_line.split()[1] == b"413"
    await assert_nothing_written(stack, acme.id)


# --- 422: payload ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"{not json", b"", b'{"asset_name": "a",', b"\xff\xfe\x00", b"null"])
async def test_malformed_json_is_rejected_with_422_and_writes_nothing(stack: Stack, raw: bytes) -> None:
    acme = await stack.company()
    response = await stack.post_alert(acme, raw)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail and all(e["loc"][0] == "body" for e in detail)
    await assert_nothing_written(stack, acme.id)


SCHEMA_VIOLATIONS = {
    "missing asset_name": ({"asset_name": None}, ("body", "asset_name"), "missing"),
    "severity urgent": ({"severity": "urgent"}, ("body", "severity"), "enum"),
    "status weird": ({"status": "weird"}, ("body", "status"), "enum"),
    "blank signature": ({"signature": "   "}, ("body", "signature"), "value_error"),
    "empty tool_source": ({"tool_source": ""}, ("body", "tool_source"), "string_too_short"),
    "labels a list": ({"labels": ["env", "prod"]}, ("body", "labels"), "dict_type"),
    "labels a string": ({"labels": "env=prod"}, ("body", "labels"), "dict_type"),
    "asset_name a number": ({"asset_name": 42}, ("body", "asset_name"), "string_type"),
    "occurred_at not a date": (
        {"occurred_at": "last tuesday"},
        ("body", "occurred_at"),
        "datetime_from_date_parsing",
    ),
    "asset_name too long": ({"asset_name": "a" * 256}, ("body", "asset_name"), "string_too_long"),
}


@pytest.mark.parametrize(
    ("change", "loc", "error_type"), SCHEMA_VIOLATIONS.values(), ids=SCHEMA_VIOLATIONS.keys()
)
async def test_schema_violation_is_rejected_with_422_pointing_at_the_field(
    stack: Stack, change: dict[str, Any], loc: tuple[str, ...], error_type: str
) -> None:
    acme = await stack.company()
    body = alert_body(**change)
    body = {k: v for k, v in body.items() if v is not None}
    response = await stack.post_alert(acme, body)
    assert response.status_code == 422, response.text
    assert error_fields(response) == {loc: error_type}
    await assert_nothing_written(stack, acme.id)


async def test_every_schema_violation_in_one_body_is_reported_at_once(stack: Stack) -> None:
    acme = await stack.company()
    body = {"signature": "", "severity": "urgent", "message": 5, "tool_source": "x", "labels": []}
    response = await stack.post_alert(acme, body)
    assert response.status_code == 422
    assert set(error_fields(response)) == {
        ("body", "asset_name"),
        ("body", "signature"),
        ("body", "severity"),
        ("body", "message"),
        ("body", "labels"),
    }
    await assert_nothing_written(stack, acme.id)


# --- 429: rate limit -------------------------------------------------------------------------------------


@pytest.fixture
async def tight_stack(settings: Settings, temporal_client: Client) -> AsyncIterator[Stack]:
    """A stack whose companies may send 3 alerts at once; refills are slow enough that a slow machine
    cannot earn a fourth token between the requests."""
    running = make_stack(
        settings.model_copy(update={"rate_limit_per_s": 0.05, "rate_limit_burst": 3}), temporal_client
    )
    await running.start_api()
    running.start_worker()
    yield running
    await running.close()


async def test_request_beyond_the_burst_gets_429_with_retry_after_and_writes_nothing(
    tight_stack: Stack,
) -> None:
    acme = await tight_stack.company()
    for n in range(3):
        accepted(await tight_stack.post_alert(acme, alert_body(asset_name=f"web-{n}")))
    delivery_id = str(uuid.uuid4())
    refused = await tight_stack.post_alert(acme, alert_body(asset_name="web-3"), delivery_id=delivery_id)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "rate limit exceeded" in refused.json()["detail"]
    assert await tight_stack.count_rows("alert", acme.id) == 3
    assert await tight_stack.count_rows("webhook_delivery", acme.id) == 3
    async with tight_stack.services.sessions() as session:
        found = await session.execute(
            text("SELECT count(*) FROM webhook_delivery WHERE delivery_id = :d"), {"d": delivery_id}
        )
        assert found.scalar_one() == 0


async def test_one_companys_exhausted_rate_limit_does_not_limit_another(tight_stack: Stack) -> None:
    acme, globex = await tight_stack.company("Acme"), await tight_stack.company("Globex")
    statuses = [
        (await tight_stack.post_alert(acme, alert_body(asset_name=f"web-{n}"))).status_code for n in range(4)
    ]
    assert [s in (200, 202) for s in statuses] == [True, True, True, False] and statuses[3] == 429
    accepted(await tight_stack.post_alert(globex, alert_body()))


async def test_rejected_requests_before_the_rate_limit_check_do_not_spend_tokens(tight_stack: Stack) -> None:
    acme = await tight_stack.company()
    for _ in range(5):
        bad = await tight_stack.post_alert(acme, alert_body(), headers={"X-Signature": "sha256=" + "0" * 64})
        assert bad.status_code == 401
    accepted(await tight_stack.post_alert(acme, alert_body()))


# --- values that validate but cannot be stored --------------------------------------------------------------
# PostgreSQL text cannot hold U+0000, its json type cannot hold NaN or Infinity, and a datetime near
# year 1 or 9999 can overflow when converted to UTC. Each must be refused at the field, not fail the insert.

UNSTORABLE = {
    "NUL in message": ({"message": "disk\u0000full"}, ("body", "message")),
    "NUL in asset_name": ({"asset_name": "db\u0000prod"}, ("body", "asset_name")),
    "NUL in signature": ({"signature": "disk\u0000"}, ("body", "signature")),
    "NUL in tool_source": ({"tool_source": "\u0000datadog"}, ("body", "tool_source")),
    "NUL in asset_id": ({"asset_id": "i-\u00001"}, ("body", "asset_id")),
    "NUL in category": ({"category": "disk\u0000"}, ("body", "category")),
    "occurred_at before year 1 in UTC": (
        {"occurred_at": "0001-01-01T00:00:00+01:00"},
        ("body", "occurred_at"),
    ),
    "occurred_at after year 9999 in UTC": (
        {"occurred_at": "9999-12-31T23:59:59-01:00"},
        ("body", "occurred_at"),
    ),
}


@pytest.mark.parametrize(("change", "loc"), UNSTORABLE.values(), ids=UNSTORABLE.keys())
async def test_unstorable_value_is_rejected_with_422_at_its_field_and_writes_nothing(
    stack: Stack, change: dict[str, Any], loc: tuple[str, ...]
) -> None:
    acme = await stack.company()
    response = await stack.post_alert(acme, alert_body(**change))
    assert response.status_code == 422, response.text
    assert loc in error_fields(response)
    await assert_nothing_written(stack, acme.id)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
async def test_non_finite_number_in_labels_is_rejected_with_422_and_writes_nothing(
    stack: Stack, number: str
) -> None:
    acme = await stack.company()
    raw = json.dumps(alert_body(labels={"load": "NUMBER"})).replace('"NUMBER"', number).encode()
    response = await stack.post_alert(acme, raw)
    assert response.status_code == 422, response.text
    assert [loc[:2] for loc in error_fields(response)] == [("body", "labels")]
    await assert_nothing_written(stack, acme.id)


async def test_alert_with_a_nul_character_is_refused_422_while_other_companies_concurrent_alerts_are_stored(
    stack: Stack,
) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    # Field validation refuses the NUL before storage, so this never reaches the intake's batch; what the
    # batch does with an alert the database refuses is tests/core/test_intake_batches.py.
    bad = stack.post_alert(acme, alert_body(message="\u0000"))
    good = [stack.post_alert(globex, alert_body(asset_name=f"web-{n}")) for n in range(20)]
    responses = await asyncio.gather(bad, *good)
    for response in responses[1:]:
        accepted(response)
    assert await stack.count_rows("alert", globex.id) == 20
    assert responses[0].status_code == 422
    await assert_nothing_written(stack, acme.id)


@pytest.mark.parametrize("path", ["alerts", "datadog", "zabbix"])
async def test_timestamp_of_hundreds_of_digits_is_a_401_and_the_connection_keeps_working(
    stack: Stack, path: str
) -> None:
    acme = await stack.company()
    raw = encoded(alert_body())
    huge = "9" * 310
    headers = signed_headers(acme, raw)
    headers.update({"X-Timestamp": huge, "X-Signature": sign(acme.hmac_secret, huge, raw)})
    async with httpx.AsyncClient(
        base_url=stack.url, timeout=30, limits=httpx.Limits(max_connections=1)
    ) as one:
        refused = await one.post(f"/api/webhooks/{path}", content=raw, headers=headers)
        assert refused.status_code == 401
        assert refused.json()["detail"] == "X-Timestamp must be unix seconds"
        # The same connection answers the next request.
        following = await one.post("/api/webhooks/alerts", content=raw, headers=signed_headers(acme, raw))
        accepted(following)
    assert await stack.count_rows("alert", acme.id) == 1
