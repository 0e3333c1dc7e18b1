"""Whatever a sender posts, the alert webhook answers with a deliberate status, never a server error."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from core.ingest.signature import sign
from tests.support.fuzzing import FUZZ, json_values
from tests.support.stack import Stack, alert_body

DELIBERATE = {200, 202, 400, 401, 413, 422, 429}
FIELDS = [
    "asset_name",
    "signature",
    "severity",
    "message",
    "tool_source",
    "asset_id",
    "category",
    "labels",
    "occurred_at",
    "status",
]


datetimes_as_sent = (
    st.datetimes(timezones=st.timezones() | st.none()).map(lambda d: d.isoformat())
    | st.integers(-(10**13), 10**13)
    | st.text(max_size=30)
)
plausible = {
    "asset_name": st.text(min_size=1, max_size=300),
    "signature": st.text(min_size=1, max_size=300),
    "severity": st.sampled_from(["low", "medium", "high", "critical", "urgent", "", "HIGH"]),
    "message": st.text(max_size=500),
    "tool_source": st.text(min_size=1, max_size=120),
    "asset_id": st.none() | st.text(max_size=300),
    "category": st.none() | st.text(max_size=120),
    "labels": st.dictionaries(st.text(max_size=20), json_values, max_size=10),
    "occurred_at": st.none() | datetimes_as_sent,
    "status": st.sampled_from(["firing", "resolved", "weird"]),
}
# The right keys, each with either a plausible value or any JSON value at all.
payload_shaped = st.fixed_dictionaries({}, optional={name: plausible[name] | json_values for name in FIELDS})


def nested_labels(depth: int) -> bytes:
    """Built as text: json.dumps itself cannot nest this deep."""
    labels = '{"n":' * depth + '"leaf"' + "}" * depth
    return json.dumps(alert_body(labels={"x": "TOKEN"})).replace('"TOKEN"', labels).encode()


def encode(value: Any, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only).encode()


bodies = st.one_of(
    st.binary(max_size=2048),
    st.builds(encode, json_values, st.booleans()),
    st.builds(encode, payload_shaped, st.booleans()),
    # Huge strings, on both sides of the 256 KiB body limit.
    st.builds(
        lambda size, char: encode(alert_body(message=char * size), False),
        st.integers(0, 300_000),
        st.sampled_from(["x", "é", "😀", "\u0000"]),
    ),
    # Nested objects, shallow to absurdly deep.
    st.builds(nested_labels, st.integers(0, 5_000)),
    # JSON that json.dumps never writes: lone surrogates, NUL, non-finite numbers.
    st.sampled_from(['"\\ud800"', '"\\udfff"', '"\\u0000"', "NaN", "Infinity", "-Infinity", "1e999"]).map(
        lambda token: json.dumps(alert_body(labels={"x": "TOKEN"})).replace('"TOKEN"', token).encode()
    ),
)


@settings(FUZZ, max_examples=150)
@given(body=bodies)
async def test_any_correctly_signed_body_gets_a_deliberate_answer(stack: Stack, body: bytes) -> None:
    acme = await stack.company()
    response = await stack.post_alert(acme, body)
    assert response.status_code in DELIBERATE, (response.status_code, body[:1000])
    if response.status_code in (200, 202):
        assert response.json()["alert_id"]
        assert await stack.count_rows("alert", acme.id) == 1
    else:
        assert await stack.count_rows("alert", acme.id) == 0
        assert await stack.count_rows("webhook_delivery", acme.id) == 0


header_text = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=80)
header_bytes = st.binary(min_size=1, max_size=40).map(
    lambda raw: bytes(b if 0x21 <= b <= 0x7E or b >= 0x80 else 0x41 for b in raw)
)
ABSENT, CORRECT = "absent", "correct"
choice = st.sampled_from([ABSENT, CORRECT]) | header_text | header_bytes


@settings(FUZZ, max_examples=50)
@given(
    api_key=choice,
    signature=choice,
    timestamp=choice | st.integers(-(10**12), 10**12).map(str),
    delivery_id=choice,
    content_type=choice,
    query_key=st.none() | choice,
)
async def test_any_headers_get_a_deliberate_answer(
    stack: Stack,
    api_key: str | bytes,
    signature: str | bytes,
    timestamp: str | bytes,
    delivery_id: str | bytes,
    content_type: str | bytes,
    query_key: str | bytes | None,
) -> None:
    acme = await stack.company()
    raw = encode(alert_body(), True)
    now = str(int(time.time()))
    sent_ts = now if timestamp == CORRECT else timestamp
    correct = {
        "X-API-Key": acme.api_key,
        "X-Timestamp": now,
        "X-Signature": sign(acme.hmac_secret, sent_ts if isinstance(sent_ts, str) else now, raw),
        "X-Delivery-ID": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }
    headers: dict[str, str | bytes] = {}
    for name, chosen in [
        ("X-API-Key", api_key),
        ("X-Signature", signature),
        ("X-Timestamp", timestamp),
        ("X-Delivery-ID", delivery_id),
        ("Content-Type", content_type),
    ]:
        if chosen == CORRECT:
            headers[name] = correct[name]
        elif chosen != ABSENT:
            headers[name] = chosen
    params: dict[str, str] = {}
    if query_key == CORRECT:
        params["api_key"] = acme.api_key
    elif isinstance(query_key, str) and query_key != ABSENT:
        params["api_key"] = query_key
    response = await stack.http.post(
        f"{stack.url}/api/webhooks/alerts", content=raw, headers=headers, params=params
    )
    assert response.status_code in DELIBERATE, (response.status_code, headers, params)
    if response.status_code not in (200, 202):
        assert await stack.count_rows("alert", acme.id) == 0
        assert await stack.count_rows("webhook_delivery", acme.id) == 0
