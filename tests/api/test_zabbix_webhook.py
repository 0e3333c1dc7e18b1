"""POST /api/webhooks/zabbix, and our Zabbix media type's script run under Node.js against the live API.

The script test takes docs/integrations/zabbix_mediatype.yaml as Zabbix would import it, resolves its
parameters' macros for a sample event the way Zabbix does (a macro without a value stays as written),
and runs the script with tests/api/zabbix_shim.js standing in for Zabbix's HttpRequest, hmac() and
Zabbix.log. The request it sends reaches the running stack, so a wrong signature fails the test.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from core.accounts.roles import Role
from core.ingest.signature import sign
from tests.support.fuzzing import FUZZ, json_values
from tests.support.signin import bearer
from tests.support.stack import Stack, TenantCreds, accepted, eventually

ROOT = Path(__file__).resolve().parents[2]
MEDIA_TYPE = ROOT / "docs" / "integrations" / "zabbix_mediatype.yaml"
SHIM = Path(__file__).with_name("zabbix_shim.js")
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")

TRIGGER_ID = "23012"
SERIES = f"zbx:{TRIGGER_ID}"
CPU = "High CPU utilization (over 90% for 5m)"

# Macro values of a trigger problem as Zabbix resolves them for a notification.
PROBLEM = {
    "{ALERT.MESSAGE}": (
        f"Problem started at 14:02:11 on 2024.05.10\nProblem name: {CPU}\nHost: Web server 01\n"
        "Severity: High\nOperational data: Current utilization: 97.3 %\nOriginal problem ID: 4471"
    ),
    "{EVENT.DATE}": "2024.05.10",
    "{EVENT.TIME}": "14:02:11",
    "{EVENT.ID}": "4471",
    "{EVENT.NAME}": CPU,
    "{EVENT.NSEVERITY}": "4",
    "{EVENT.SEVERITY}": "High",
    "{EVENT.SOURCE}": "0",
    "{EVENT.TAGSJSON}": '[{"tag":"scope","value":"performance"},{"tag":"component","value":"cpu"}]',
    "{EVENT.UPDATE.STATUS}": "0",
    "{EVENT.VALUE}": "1",
    "{HOST.HOST}": "web-01",
    "{HOST.NAME}": "Web server 01",
    "{TRIGGER.ID}": TRIGGER_ID,
    "{TRIGGER.NAME}": CPU,
}
# Its recovery: {EVENT.ID} still names the problem event.
RECOVERY = PROBLEM | {
    "{EVENT.VALUE}": "0",
    "{EVENT.RECOVERY.ID}": "4490",
    "{EVENT.RECOVERY.DATE}": "2024.05.10",
    "{EVENT.RECOVERY.TIME}": "14:19:40",
    "{ALERT.MESSAGE}": f"Problem has been resolved at 14:19:40 on 2024.05.10\nProblem name: {CPU}",
}
# An acknowledgement of the problem.
UPDATE = PROBLEM | {"{EVENT.UPDATE.STATUS}": "1", "{ALERT.MESSAGE}": "Jane acknowledged problem"}


def media_type() -> dict[str, Any]:
    exported = yaml.safe_load(MEDIA_TYPE.read_text())["zabbix_export"]
    assert exported["version"] == "6.0"
    [media] = exported["media_types"]
    return dict(media)


def user_macros(stack: Stack, creds: TenantCreds) -> dict[str, str]:
    """The global macros the MSP defines, as docs/integrations/zabbix.md says."""
    return {
        "{$ALERT_WHISPERER.URL}": f"{stack.url}/api/webhooks/zabbix",
        "{$ALERT_WHISPERER.API_KEY}": creds.api_key,
        "{$ALERT_WHISPERER.HMAC_SECRET}": creds.hmac_secret,
    }


def resolve(text: str, macros: dict[str, str]) -> str:
    return re.sub(r"\{\$?[A-Z0-9_.]+\}", lambda m: macros.get(m.group(0), m.group(0)), text)


async def run_media_type(tmp_path: Path, macros: dict[str, str], *, time_zone: str = "UTC") -> dict[str, Any]:
    """Runs the media type's script for one event; what it returned or threw, and what it sent."""
    media = media_type()
    script = tmp_path / f"script-{uuid.uuid4().hex}.js"
    script.write_text(media["script"])
    params = {p["name"]: resolve(p["value"], macros) for p in media["parameters"]}
    assert NODE is not None
    node = await asyncio.create_subprocess_exec(
        NODE,
        str(SHIM),
        str(script),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "TZ": time_zone},
    )
    out, err = await node.communicate(json.dumps(params).encode())
    assert node.returncode == 0, err.decode()
    outcome: dict[str, Any] = json.loads(out)
    return outcome


async def incident(stack: Stack, creds: TenantCreds, incident_id: str) -> dict[str, Any]:
    viewer = await stack.user(Role.company_admin, [creds.id])
    response = await stack.http.get(
        f"{stack.url}/api/incidents/{incident_id}", headers=bearer(viewer["access_token"])
    )
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    return found


async def assert_nothing_written(stack: Stack, company_id: str) -> None:
    assert await stack.count_rows("alert", company_id) == 0
    assert await stack.count_rows("webhook_delivery", company_id) == 0


# --- the media type's script, end to end ---------------------------------------------------------------


@needs_node
async def test_media_type_script_sends_a_signed_problem_that_opens_an_incident(
    stack: Stack, tmp_path: Path
) -> None:
    acme = await stack.company()
    outcome = await run_media_type(tmp_path, PROBLEM | user_macros(stack, acme), time_zone="Europe/Berlin")
    assert outcome["error"] is None, outcome
    assert outcome["result"] == "OK"
    [sent] = outcome["requests"]
    assert sent["status"] in (200, 202), sent["answer"]
    assert sent["headers"]["X-Delivery-ID"] == "zabbix:4471:1"
    assert sent["headers"]["X-Signature"].startswith("sha256=")
    [answer] = json.loads(sent["answer"])["alerts"]
    assert answer["fingerprint"] == SERIES
    assert answer["aggregation_key"] == f"web-01|{CPU}"
    assert await stack.incident_of(answer)
    [alert] = await stack.alerts(acme.id)
    assert (alert.asset_name, alert.asset_id, alert.signature, alert.severity, alert.status) == (
        "Web server 01",
        "web-01",
        CPU,
        "high",
        "firing",
    )
    assert alert.tool_source == "zabbix"
    assert alert.message.startswith("Problem started at 14:02:11")
    assert {k: alert.labels[k] for k in ("scope", "component", "zabbix_event_id")} == {
        "scope": "performance",
        "component": "cpu",
        "zabbix_event_id": "4471",
    }
    # 14:02:11 in Berlin (summer time, UTC+2) on the Zabbix server's clock.
    assert alert.occurred_at is not None
    assert alert.occurred_at.astimezone(UTC) == datetime(2024, 5, 10, 12, 2, 11, tzinfo=UTC)


@needs_node
async def test_media_type_script_recovery_recovers_the_problems_series(stack: Stack, tmp_path: Path) -> None:
    acme = await stack.company()
    macros = user_macros(stack, acme)
    problem = await run_media_type(tmp_path, PROBLEM | macros)
    assert problem["result"] == "OK", problem
    incident_id = await stack.incident_of(json.loads(problem["requests"][0]["answer"])["alerts"][0])
    recovery = await run_media_type(tmp_path, RECOVERY | macros)
    assert recovery["result"] == "OK", recovery
    [sent] = recovery["requests"]
    assert sent["headers"]["X-Delivery-ID"] == "zabbix:4471:0"
    [answer] = json.loads(sent["answer"])["alerts"]
    assert (answer["fingerprint"], await stack.incident_of(answer)) == (SERIES, incident_id)
    shown = await eventually(lambda: incident(stack, acme, incident_id), lambda i: i["recovery_count"] == 1)
    assert shown["recovered_series"] == [SERIES]
    resolved = next(a for a in shown["alerts"] if a["status"] == "resolved")
    assert resolved["occurred_at"].startswith("2024-05-10T14:19:40")


@needs_node
async def test_media_type_script_redelivery_of_an_event_is_a_duplicate(stack: Stack, tmp_path: Path) -> None:
    acme = await stack.company()
    first = await run_media_type(tmp_path, PROBLEM | user_macros(stack, acme))
    again = await run_media_type(tmp_path, PROBLEM | user_macros(stack, acme))  # Zabbix retrying
    answers = [json.loads(o["requests"][0]["answer"])["alerts"][0] for o in (first, again)]
    assert [a["duplicate"] for a in answers] == [False, True]
    assert answers[0]["alert_id"] == answers[1]["alert_id"]
    assert await stack.count_rows("alert", acme.id) == 1


@needs_node
async def test_media_type_script_update_event_is_answered_ignored(stack: Stack, tmp_path: Path) -> None:
    acme = await stack.company()
    outcome = await run_media_type(tmp_path, UPDATE | user_macros(stack, acme))
    assert outcome["result"] == "OK", outcome
    answer = json.loads(outcome["requests"][0]["answer"])
    assert answer["alerts"] == []
    assert "update events" in answer["ignored"]
    await assert_nothing_written(stack, acme.id)


@needs_node
async def test_media_type_script_fails_the_alert_when_the_api_refuses_it(
    stack: Stack, tmp_path: Path
) -> None:
    acme = await stack.company()
    wrong = user_macros(stack, acme) | {"{$ALERT_WHISPERER.HMAC_SECRET}": "not-the-secret"}
    outcome = await run_media_type(tmp_path, PROBLEM | wrong)
    assert outcome["result"] is None
    assert "Sending to Alert Whisperer failed: answered 401" in outcome["error"]
    assert "X-Signature does not match" in outcome["error"]
    await assert_nothing_written(stack, acme.id)


@needs_node
async def test_media_type_script_without_its_macros_sends_nothing(stack: Stack, tmp_path: Path) -> None:
    acme = await stack.company()
    partial = user_macros(stack, acme)
    del partial["{$ALERT_WHISPERER.HMAC_SECRET}"]
    outcome = await run_media_type(tmp_path, PROBLEM | partial)
    assert outcome["requests"] == []
    assert 'parameter "hmac_secret" has no value' in outcome["error"]
    assert all(acme.api_key not in message for _, message in outcome["log"])


def test_media_type_declares_every_parameter_its_script_reads() -> None:
    media = media_type()
    declared = {p["name"] for p in media["parameters"]}
    read = set(re.findall(r"params\.(\w+)", media["script"]))
    read |= set(re.findall(r"required\(params, '(\w+)'\)", media["script"]))
    assert read == declared
    assert media["type"] == "WEBHOOK"


# --- the endpoint, signed in Python ---------------------------------------------------------------------


def event(**overrides: Any) -> dict[str, Any]:
    """The body the script sends for PROBLEM."""
    body: dict[str, Any] = {
        "event_id": "4471",
        "event_value": "1",
        "event_update_status": "0",
        "event_source": "0",
        "recovery_event_id": "",
        "severity": "4",
        "host_name": "Web server 01",
        "host_host": "web-01",
        "trigger_id": TRIGGER_ID,
        "trigger_name": CPU,
        "event_name": CPU,
        "tags": [{"tag": "scope", "value": "performance"}],
        "occurred_at": "2024-05-10T12:02:11.000Z",
        "message": "Problem started at 14:02:11 on 2024.05.10",
    }
    body.update(overrides)
    return body


async def post(
    stack: Stack,
    creds: TenantCreds,
    body: dict[str, Any] | bytes,
    *,
    headers: dict[str, str] | None = None,
    secret: str | None = None,
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = str(int(time.time()))
    sent = {
        "Content-Type": "application/json",
        "X-API-Key": creds.api_key,
        "X-Timestamp": timestamp,
        "X-Signature": sign(secret or creds.hmac_secret, timestamp, raw),
    }
    sent.update(headers or {})
    sent = {k: v for k, v in sent.items() if v}
    return await stack.http.post(f"{stack.url}/api/webhooks/zabbix", content=raw, headers=sent)


SEVERITIES = {
    "0": "low",
    "1": "low",
    "2": "medium",
    "3": "medium",
    "4": "high",
    "5": "critical",
    "Not classified": "low",
    "Information": "low",
    "Warning": "medium",
    "Average": "medium",
    "High": "high",
    "Disaster": "critical",
    "disaster": "critical",
}


@pytest.mark.parametrize(("zabbix", "ours"), SEVERITIES.items(), ids=SEVERITIES.keys())
async def test_zabbix_severity_by_number_or_name_maps_to_ours(stack: Stack, zabbix: str, ours: str) -> None:
    acme = await stack.company()
    response = await post(stack, acme, event(severity=zabbix))
    accepted(response)
    [alert] = await stack.alerts(acme.id)
    assert alert.severity == ours


async def test_repeated_problems_of_one_trigger_are_one_series(stack: Stack) -> None:
    acme = await stack.company()
    first = await post(stack, acme, event())
    second = await post(stack, acme, event(event_id="4620", severity="5"))
    answers = [await stack.settled(r) for r in (first, second)]
    assert [a["fingerprint"] for a in answers] == [SERIES, SERIES]
    assert answers[0]["incident_id"] == answers[1]["incident_id"]
    recovery = await post(stack, acme, event(event_id="4620", event_value="0", recovery_event_id="4650"))
    assert await stack.incident_of(recovery) == answers[0]["incident_id"]
    shown = await eventually(
        lambda: incident(stack, acme, answers[0]["incident_id"]), lambda i: i["recovery_count"] == 1
    )
    assert (shown["recovered_series"], shown["alert_count"], shown["severity"]) == ([SERIES], 2, "critical")


async def test_event_of_another_source_is_answered_ignored(stack: Stack) -> None:
    acme = await stack.company()
    response = await post(stack, acme, event(event_source="3"))
    assert response.status_code == 200, response.text
    assert response.json()["alerts"] == []
    assert "not trigger events" in response.json()["ignored"]
    await assert_nothing_written(stack, acme.id)


AUTH_FAILURES = {
    "no API key": ({"X-API-Key": ""}, "missing API key"),
    "unknown API key": ({"X-API-Key": "awk_" + "0" * 40}, "unknown API key"),
    "no signature": ({"X-Signature": ""}, "missing X-Signature"),
    "no timestamp": ({"X-Timestamp": ""}, "missing X-Timestamp"),
    "signature of zeros": ({"X-Signature": "sha256=" + "0" * 64}, "X-Signature does not match"),
    "old timestamp": ({"X-Timestamp": "1700000000"}, "from the server's clock"),
}


@pytest.mark.parametrize(("headers", "reason"), AUTH_FAILURES.values(), ids=AUTH_FAILURES.keys())
async def test_unauthenticated_event_is_rejected_with_401_and_writes_nothing(
    stack: Stack, headers: dict[str, str], reason: str
) -> None:
    acme = await stack.company()
    response = await post(stack, acme, event(), headers=headers)
    assert response.status_code == 401
    assert reason in response.json()["detail"]
    await assert_nothing_written(stack, acme.id)


async def test_event_signed_with_the_wrong_secret_is_rejected_and_writes_nothing(stack: Stack) -> None:
    acme = await stack.company()
    response = await post(stack, acme, event(), secret="not-the-secret")
    assert response.status_code == 401
    await assert_nothing_written(stack, acme.id)


WRONG_SHAPES: dict[str, tuple[dict[str, Any] | bytes, set[tuple[Any, ...]]]] = {
    "not JSON": (b"Problem: High CPU", {("body",)}),
    "event_value 2": (event(event_value="2"), {("body", "event_value")}),
    "severity Urgent": (event(severity="Urgent"), {("body", "severity")}),
    "severity 6": (event(severity="6"), {("body", "severity")}),
    "no host": (event(host_name="", host_host=""), {("body", "host_name")}),
    "no trigger or event name": (event(trigger_name="", event_name=""), {("body", "trigger_name")}),
    "tags a string": (event(tags="scope:performance"), {("body", "tags")}),
    "no event_id": ({k: v for k, v in event().items() if k != "event_id"}, {("body", "event_id")}),
    "occurred_at not a date": (event(occurred_at="2024.05.10 14:02:11"), {("body", "occurred_at")}),
    "NUL in host": (event(host_name="web\u0000"), {("body", "asset_name")}),
}


@pytest.mark.parametrize(("body", "locations"), WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
async def test_wrong_shape_is_rejected_with_422_naming_the_field_and_writes_nothing(
    stack: Stack, body: dict[str, Any] | bytes, locations: set[tuple[Any, ...]]
) -> None:
    acme = await stack.company()
    response = await post(stack, acme, body)
    assert response.status_code == 422, response.text
    assert {tuple(e["loc"][:2]) for e in response.json()["detail"]} == locations
    await assert_nothing_written(stack, acme.id)


# --- fuzz ------------------------------------------------------------------------------------------------

DELIBERATE = {200, 202, 400, 413, 422, 429}
plausible = st.sampled_from(["", "0", "1", "5", "7", "High", "{EVENT.ID}", "2024-05-10T12:00:00Z", "\u0000"])
event_shaped = st.fixed_dictionaries(
    {}, optional={name: plausible | st.text(max_size=300) | json_values for name in event()}
)
bodies = st.one_of(
    st.binary(max_size=1024),
    st.builds(lambda v: json.dumps(v).encode(), json_values),
    st.builds(lambda v: json.dumps(v).encode(), event_shaped),
    st.builds(lambda v: json.dumps(event() | v).encode(), event_shaped),
)


@settings(FUZZ, max_examples=150)
@given(body=bodies)
async def test_any_signed_body_gets_a_deliberate_answer(stack: Stack, body: bytes) -> None:
    acme = await stack.company()
    response = await post(stack, acme, body)
    assert response.status_code in DELIBERATE, (response.status_code, response.text, body[:500])
    answer = response.json()
    if response.status_code in (200, 202):
        assert await stack.count_rows("alert", acme.id) == len(answer["alerts"])
    else:
        assert answer["detail"]
        await assert_nothing_written(stack, acme.id)
