"""POST /api/webhooks/datadog with the payloads our documented template makes Datadog send.

Samples follow Datadog's Webhooks integration docs: every value is a string, $ALERT_TITLE carries a
"[Triggered on {host:…}]" prefix, $DATE is epoch milliseconds, $TAGS is a comma-separated list.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.accounts.roles import Role
from core.ingest.signature import sign
from tests.support.fuzzing import FUZZ, json_values
from tests.support.signin import bearer
from tests.support.stack import Stack, TenantCreds, accepted, eventually

AGGREG_KEY = "9bd4ac313a4d1e8fae2482df7b77628"


def triggered(**overrides: str) -> dict[str, str]:
    """A metric monitor's notice as our template renders it (one string per variable)."""
    body = {
        "id": str(uuid.uuid4().int)[:19],
        "aggreg_key": AGGREG_KEY,
        "alert_cycle_key": "7a1e2b9c0d3f4a5b",
        "alert_id": "1234",
        "alert_transition": "Triggered",
        "alert_type": "error",
        "alert_priority": "P2",
        "priority": "normal",
        "alert_title": "[Triggered on {host:web-01}] CPU load is high",
        "event_title": "[P2] [Triggered on {host:web-01}] CPU load is high",
        "alert_scope": "host:web-01",
        "alert_status": "system.load.1 over host:web-01 was > 4 at least once during the last 1m",
        "alert_metric": "system.load.1",
        "hostname": "web-01",
        "tags": "env:prod,host:web-01,role:frontend,monitor",
        "event_type": "query_alert_monitor",
        "event_msg": "%%%\nLoad is 6.2 on web-01 @webhook-alert-whisperer\n%%%",
        "date": "1406662672000",
        "link": "https://app.datadoghq.com/event/event?id=7243129874562345678",
        "org_id": "123456",
    }
    body.update(overrides)
    return body


def recovered(**overrides: str) -> dict[str, str]:
    return triggered(
        **{
            "alert_transition": "Recovered",
            "alert_type": "success",
            "alert_title": "[Recovered on {host:web-01}] CPU load is high",
            "event_title": "[P2] [Recovered on {host:web-01}] CPU load is high",
            "date": "1406663272000",
            **overrides,
        }
    )


async def post(
    stack: Stack,
    creds: TenantCreds | None,
    body: dict[str, Any] | bytes,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"Content-Type": "application/json"}
    if creds is not None:
        sent["X-API-Key"] = creds.api_key
    sent.update(headers or {})
    return await stack.http.post(
        f"{stack.url}/api/webhooks/datadog", content=raw, headers=sent, params=params
    )


async def assert_nothing_written(stack: Stack, company_id: str) -> None:
    assert await stack.count_rows("alert", company_id) == 0
    assert await stack.count_rows("webhook_delivery", company_id) == 0


async def incident(stack: Stack, creds: TenantCreds, incident_id: str) -> dict[str, Any]:
    viewer = await stack.user(Role.company_admin, [creds.id])
    response = await stack.http.get(
        f"{stack.url}/api/incidents/{incident_id}", headers=bearer(viewer["access_token"])
    )
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    return found


def signed(creds: TenantCreds, raw: bytes, *, secret: str | None = None) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {"X-Timestamp": timestamp, "X-Signature": sign(secret or creds.hmac_secret, timestamp, raw)}


# --- mapping ---------------------------------------------------------------------------------------------


async def test_triggered_notice_opens_an_incident_with_the_mapped_alert(stack: Stack) -> None:
    acme = await stack.company()
    response = await post(stack, acme, triggered())
    answer = accepted(response)
    assert answer["ignored"] is None
    [one] = answer["alerts"]
    assert await stack.incident_of(one) and one["duplicate"] is False
    assert one["fingerprint"] == f"dd:{AGGREG_KEY}"
    assert one["aggregation_key"] == "web-01|CPU load is high"
    [alert] = await stack.alerts(acme.id)
    assert (alert.asset_name, alert.signature, alert.severity, alert.status, alert.tool_source) == (
        "web-01",
        "CPU load is high",
        "high",
        "firing",
        "datadog",
    )
    assert alert.message.startswith("%%%\nLoad is 6.2 on web-01")
    assert alert.occurred_at is not None
    assert alert.occurred_at.replace(tzinfo=UTC) == datetime(2014, 7, 29, 19, 37, 52, tzinfo=UTC)
    assert {k: alert.labels[k] for k in ("env", "host", "role", "monitor")} == {
        "env": "prod",
        "host": "web-01",
        "role": "frontend",
        "monitor": "",
    }
    assert alert.labels["datadog_monitor_id"] == "1234"
    assert alert.labels["datadog_transition"] == "Triggered"


async def test_recovered_notice_recovers_the_triggered_series_of_the_incident(stack: Stack) -> None:
    acme = await stack.company()
    incident_id = await stack.incident_of(await post(stack, acme, triggered()))
    closed = await post(stack, acme, recovered())
    [one] = accepted(closed)["alerts"]
    assert one["fingerprint"] == f"dd:{AGGREG_KEY}"
    assert await stack.incident_of(one) == incident_id
    shown = await eventually(lambda: incident(stack, acme, incident_id), lambda i: i["recovery_count"] == 1)
    assert shown["recovered_series"] == [f"dd:{AGGREG_KEY}"]
    assert shown["alert_count"] == 1
    statuses = sorted(a["status"] for a in shown["alerts"])
    assert statuses == ["firing", "resolved"]


async def test_recovery_of_one_host_leaves_the_other_hosts_series_firing(stack: Stack) -> None:
    acme = await stack.company()
    opened = {}
    for host in ("web-01", "web-02"):
        title = f"[Triggered on {{host:{host}}}] CPU load is high"
        sent = await post(stack, acme, triggered(hostname=host, aggreg_key=f"k-{host}", alert_title=title))
        opened[host] = await stack.incident_of(sent)
    notice = recovered(hostname="web-01", aggreg_key="k-web-01", alert_title="[Recovered] CPU load is high")
    assert await stack.incident_of(await post(stack, acme, notice)) == opened["web-01"]
    shown = await eventually(
        lambda: incident(stack, acme, opened["web-01"]), lambda i: i["recovery_count"] == 1
    )
    assert shown["recovered_series"] == ["dd:k-web-01"]
    other = await incident(stack, acme, opened["web-02"])
    assert (other["recovery_count"], other["recovered_series"]) == (0, [])


SEVERITIES = {
    "P1": ({"alert_priority": "P1"}, "critical"),
    "P2": ({"alert_priority": "P2"}, "high"),
    "P3": ({"alert_priority": "P3"}, "medium"),
    "P4": ({"alert_priority": "P4"}, "low"),
    "P5": ({"alert_priority": "P5"}, "low"),
    "lower-case p1": ({"alert_priority": "p1"}, "critical"),
    "$PRIORITY P1 when $ALERT_PRIORITY is empty": ({"alert_priority": "", "priority": "P1"}, "critical"),
    "no priority, error": ({"alert_priority": "", "alert_type": "error"}, "high"),
    "no priority, warning": ({"alert_priority": "", "alert_type": "warning"}, "medium"),
    "no priority, info": ({"alert_priority": "", "alert_type": "info"}, "low"),
    "nothing to go by": ({"alert_priority": "", "alert_type": ""}, "medium"),
    "Warn caps P1 at medium": ({"alert_transition": "Warn", "alert_priority": "P1"}, "medium"),
    "Re-Warn keeps P4 low": ({"alert_transition": "Re-Warn", "alert_priority": "P4"}, "low"),
    "Re-Triggered P1": ({"alert_transition": "Re-Triggered", "alert_priority": "P1"}, "critical"),
    "Renotify P3": ({"alert_transition": "Renotify", "alert_priority": "P3"}, "medium"),
    "No Data is low even at P1": ({"alert_transition": "No Data", "alert_priority": "P1"}, "low"),
}


@pytest.mark.parametrize(("change", "severity"), SEVERITIES.values(), ids=SEVERITIES.keys())
async def test_firing_transitions_map_severity_from_priority_then_alert_type(
    stack: Stack, change: dict[str, str], severity: str
) -> None:
    acme = await stack.company()
    response = await post(stack, acme, triggered(**change))
    accepted(response)
    [alert] = await stack.alerts(acme.id)
    assert (alert.severity, alert.status) == (severity, "firing")


ASSETS = {
    "$HOSTNAME": ({}, "web-01"),
    "host tag": ({"hostname": "", "tags": "env:prod,host:db-07"}, "db-07"),
    "host in scope": (
        {"hostname": "", "tags": "env:prod", "alert_scope": "host:cache-3,env:prod"},
        "cache-3",
    ),
    "scope": (
        {"hostname": "", "tags": "", "alert_scope": "service:checkout,env:prod"},
        "service:checkout,env:prod",
    ),
    "nothing": ({"hostname": "", "tags": "", "alert_scope": ""}, "datadog"),
    "unfilled variable": ({"hostname": "$HOSTNAME", "tags": "", "alert_scope": "*"}, "datadog"),
}


@pytest.mark.parametrize(("change", "asset"), ASSETS.values(), ids=ASSETS.keys())
async def test_asset_is_the_hostname_else_a_host_tag_else_the_scope(
    stack: Stack, change: dict[str, str], asset: str
) -> None:
    acme = await stack.company()
    response = await post(stack, acme, triggered(**change))
    accepted(response)
    [alert] = await stack.alerts(acme.id)
    assert alert.asset_name == asset


@pytest.mark.parametrize(
    ("title", "signature"),
    [
        ("[Triggered on {host:web-01,env:prod}] Disk full", "Disk full"),
        ("[P1] [Re-Triggered on {host:a}] Disk full", "Disk full"),
        ("[No Data on {host:a}] Disk full", "Disk full"),
        ("[Warn] [prod] Disk full", "[prod] Disk full"),
    ],
)
async def test_signature_is_the_monitor_title_without_datadogs_state_prefix(
    stack: Stack, title: str, signature: str
) -> None:
    acme = await stack.company()
    response = await post(stack, acme, triggered(alert_title=title))
    accepted(response)
    [alert] = await stack.alerts(acme.id)
    assert alert.signature == signature


async def test_without_a_title_the_monitor_id_names_the_alert(stack: Stack) -> None:
    acme = await stack.company()
    response = await post(stack, acme, triggered(alert_title="", event_title="", alert_id="98765"))
    accepted(response)
    [alert] = await stack.alerts(acme.id)
    assert alert.signature == "Datadog monitor 98765"


@pytest.mark.parametrize("transition", ["Null", "", "Muted", "$ALERT_TRANSITION"])
async def test_transition_we_do_not_page_on_is_answered_ignored_and_writes_nothing(
    stack: Stack, transition: str
) -> None:
    acme = await stack.company()
    response = await post(stack, acme, triggered(alert_transition=transition))
    assert response.status_code == 200, response.text
    assert response.json()["alerts"] == []
    assert "is not a state we page on" in response.json()["ignored"]
    await assert_nothing_written(stack, acme.id)


# --- duplicates ------------------------------------------------------------------------------------------


async def test_redelivered_notice_with_the_same_event_id_is_a_duplicate(stack: Stack) -> None:
    acme = await stack.company()
    notice = triggered()
    first = await post(stack, acme, notice)
    again = await post(stack, acme, notice)
    accepted(first), accepted(again)  # 202 queued for a duplicate its incident has not recorded yet
    assert again.json()["alerts"][0]["duplicate"] is True
    assert again.json()["alerts"][0]["alert_id"] == first.json()["alerts"][0]["alert_id"]
    assert await stack.count_rows("alert", acme.id) == 1


async def test_x_delivery_id_header_wins_over_the_event_id(stack: Stack) -> None:
    acme = await stack.company()
    header = {"X-Delivery-ID": "relay-42"}
    first = await post(stack, acme, triggered(), headers=header)
    second = await post(stack, acme, triggered(), headers=header)  # another $ID
    assert second.json()["alerts"][0]["duplicate"] is True, second.text
    assert await stack.count_rows("alert", acme.id) == 1
    assert first.json()["alerts"][0]["duplicate"] is False


async def test_notice_without_event_id_is_deduplicated_by_its_body(stack: Stack) -> None:
    acme = await stack.company()
    raw = json.dumps(triggered(id="")).encode()
    first = await post(stack, acme, raw)
    again = await post(stack, acme, raw)
    other = await post(stack, acme, triggered(id="", date="1406662673000"))
    assert [r.json()["alerts"][0]["duplicate"] for r in (first, again, other)] == [False, True, False]
    assert await stack.count_rows("alert", acme.id) == 2


# --- auth ------------------------------------------------------------------------------------------------


async def test_missing_api_key_is_rejected_and_writes_nothing(stack: Stack) -> None:
    acme = await stack.company()
    response = await post(stack, None, triggered())
    assert response.status_code == 401
    assert "missing API key" in response.json()["detail"]
    await assert_nothing_written(stack, acme.id)


async def test_unknown_api_key_is_rejected_and_writes_nothing(stack: Stack) -> None:
    acme = await stack.company()
    response = await post(stack, None, triggered(), headers={"X-API-Key": "awk_" + "0" * 40})
    assert response.status_code == 401
    assert response.json()["detail"] == "unknown API key"
    await assert_nothing_written(stack, acme.id)


@pytest.mark.parametrize("how", ["query", "bearer"])
async def test_api_key_in_the_url_or_authorization_is_accepted(stack: Stack, how: str) -> None:
    acme = await stack.company()
    if how == "query":
        response = await post(stack, None, triggered(), params={"api_key": acme.api_key})
    else:
        response = await post(stack, None, triggered(), headers={"Authorization": f"Bearer {acme.api_key}"})
    accepted(response)
    assert await stack.count_rows("alert", acme.id) == 1


async def test_signature_that_is_sent_must_verify_even_when_not_required(stack: Stack) -> None:
    acme = await stack.company()
    raw = json.dumps(triggered()).encode()
    response = await post(stack, acme, raw, headers=signed(acme, raw, secret="not-the-secret"))
    assert response.status_code == 401
    assert "X-Signature does not match" in response.json()["detail"]
    half = await post(stack, acme, raw, headers={"X-Timestamp": str(int(time.time()))})
    assert half.status_code == 401
    assert "missing X-Signature" in half.json()["detail"]
    await assert_nothing_written(stack, acme.id)


async def test_company_that_requires_signatures_refuses_unsigned_notices(stack: Stack) -> None:
    acme = await stack.company()
    admin = await stack.user(Role.msp_admin, [])
    settings = {"integration_settings": {"datadog": {"require_signature": True}}}
    changed = await stack.http.put(
        f"{stack.url}/api/companies/{acme.id}", json=settings, headers=bearer(admin["access_token"])
    )
    assert changed.status_code == 200, changed.text
    raw = json.dumps(triggered()).encode()
    unsigned = await post(stack, acme, raw)
    assert unsigned.status_code == 401
    assert "missing X-Timestamp" in unsigned.json()["detail"]
    await assert_nothing_written(stack, acme.id)
    accepted(await post(stack, acme, raw, headers=signed(acme, raw)))
    assert await stack.count_rows("alert", acme.id) == 1


# --- wrong shape -----------------------------------------------------------------------------------------


def error_locations(response: httpx.Response) -> set[tuple[Any, ...]]:
    return {tuple(e["loc"]) for e in response.json()["detail"]}


WRONG_SHAPES: dict[str, tuple[bytes, set[tuple[Any, ...]]]] = {
    "not JSON": (b"alert_transition=Triggered", {("body",)}),
    "form-encoded template": (b"payload=%7B%7D", {("body",)}),
    "no $ALERT_TRANSITION": (
        json.dumps({k: v for k, v in triggered().items() if k != "alert_transition"}).encode(),
        {("body", "alert_transition")},
    ),
    "tags a list": (json.dumps(triggered() | {"tags": ["env:prod"]}).encode(), {("body", "tags")}),
    "date not epoch": (json.dumps(triggered(date="yesterday")).encode(), {("body", "date")}),
    "date out of range": (json.dumps(triggered(date="9" * 30)).encode(), {("body", "date")}),
    "no title and no monitor id": (
        json.dumps(triggered(alert_title="", event_title="", alert_id="")).encode(),
        {("body", "alert_title")},
    ),
    "NUL in message": (json.dumps(triggered(event_msg="a\u0000b")).encode(), {("body", "message")}),
    "a JSON list": (b"[]", {("body",)}),
}


@pytest.mark.parametrize(("raw", "locations"), WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
async def test_wrong_shape_is_rejected_with_422_naming_the_field_and_writes_nothing(
    stack: Stack, raw: bytes, locations: set[tuple[Any, ...]]
) -> None:
    acme = await stack.company()
    response = await post(stack, acme, raw)
    assert response.status_code == 422, response.text
    assert {loc[:2] for loc in error_locations(response)} == locations
    assert all(e["msg"] for e in response.json()["detail"])
    await assert_nothing_written(stack, acme.id)


# --- fuzz ------------------------------------------------------------------------------------------------

DELIBERATE = {200, 202, 400, 413, 422, 429}
plausible = st.sampled_from(
    ["", "Triggered", "Recovered", "Warn", "No Data", "P1", "P9", "error", "host:a,b", "*", "$ID", "\u0000"]
) | st.text(max_size=300)
notice_shaped = st.fixed_dictionaries({}, optional={name: plausible | json_values for name in triggered()})
bodies = st.one_of(
    st.binary(max_size=1024),
    st.builds(lambda v: json.dumps(v).encode(), json_values),
    st.builds(lambda v: json.dumps(v).encode(), notice_shaped),
    st.builds(lambda v: json.dumps(triggered() | v).encode(), notice_shaped),
)


@settings(FUZZ, max_examples=150)
@given(body=bodies)
async def test_any_body_with_a_valid_key_gets_a_deliberate_answer(stack: Stack, body: bytes) -> None:
    acme = await stack.company()
    response = await post(stack, acme, body)
    assert response.status_code in DELIBERATE, (response.status_code, response.text, body[:500])
    answer = response.json()
    if response.status_code in (200, 202):
        assert await stack.count_rows("alert", acme.id) == len(answer["alerts"])
        assert (answer["ignored"] is None) == (len(answer["alerts"]) == 1)
    else:
        assert answer["detail"]
        await assert_nothing_written(stack, acme.id)
