"""POST /api/webhooks/alertmanager with payloads as Alertmanager's webhook receiver sends them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from temporalio.client import Client

from core.settings import Settings
from tests.support.alertmanager import (
    ZERO_TIME,
    Reader,
    am_alert,
    basic_auth,
    bearer_auth,
    notification,
    post_notification,
    resolved,
)
from tests.support.fuzzing import FUZZ, json_values
from tests.support.stack import Stack, accepted, eventually, make_stack


async def assert_nothing_written(stack: Stack, company_id: str) -> None:
    assert await stack.count_rows("alert", company_id) == 0
    assert await stack.count_rows("webhook_delivery", company_id) == 0


def by_fingerprint(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["fingerprint"]: a for a in answer["alerts"]}


# --- mapping and grouping ---------------------------------------------------------------------------------


async def test_grouped_notification_lands_each_alert_in_its_assets_incident(stack: Stack) -> None:
    acme = await stack.company()
    var = am_alert(instance="db-1:9100", extra_labels={"mountpoint": "/var"})
    data = am_alert(instance="db-1:9100", extra_labels={"mountpoint": "/data"})
    other = am_alert(instance="db-2:9100", extra_labels={"mountpoint": "/var"})
    response = await post_notification(
        stack, notification(var, data, other, group_by=("alertname",)), bearer_auth(acme)
    )
    answer = accepted(response)
    assert answer["ignored"] is None
    answers = {fingerprint: await stack.settled(a) for fingerprint, a in by_fingerprint(answer).items()}
    assert set(answers) == {f"am:{a['fingerprint']}" for a in (var, data, other)}
    one, two, three = (answers[f"am:{a['fingerprint']}"] for a in (var, data, other))
    assert one["aggregation_key"] == two["aggregation_key"] == "db-1:9100|NodeFilesystemAlmostFull"
    assert three["aggregation_key"] == "db-2:9100|NodeFilesystemAlmostFull"
    assert one["incident_id"] == two["incident_id"] != three["incident_id"]
    assert all(a["duplicate"] is False and a["incident_id"] for a in (one, two, three))

    reader = await Reader.signed_in(stack)
    incident = await eventually(
        lambda: reader.incident(one["incident_id"]), lambda i: i is not None and i["alert_count"] == 2
    )
    assert incident is not None
    assert incident["asset_name"] == "db-1:9100"
    assert incident["tool_sources"] == ["alertmanager"]
    assert sorted(a["fingerprint"] for a in incident["alerts"]) == sorted(
        [one["fingerprint"], two["fingerprint"]]
    )


async def test_alert_fields_come_from_labels_and_annotations(stack: Stack) -> None:
    acme = await stack.company()
    alert = am_alert(
        alertname="HighErrorRate",
        instance="api-7:8080",
        severity="warning",
        starts_at="2024-05-02T10:15:30.5+02:00",
        summary="5xx above 5%",
        description="api-7 answers 7% of requests with 5xx",
    )
    response = await post_notification(stack, notification(alert), bearer_auth(acme))
    assert response.status_code == 200, response.text
    [stored] = await stack.alerts(acme.id)
    assert stored.asset_name == "api-7:8080"
    assert stored.signature == "HighErrorRate"
    assert stored.severity == "medium"
    assert stored.message == "5xx above 5%\napi-7 answers 7% of requests with 5xx"
    assert stored.tool_source == "alertmanager"
    assert stored.status == "firing"
    assert stored.fingerprint == f"am:{alert['fingerprint']}"
    assert stored.occurred_at == datetime(2024, 5, 2, 8, 15, 30, 500000, tzinfo=UTC)
    assert stored.labels == {**alert["labels"], "__annotations__": alert["annotations"]}


SEVERITIES = {
    "critical": "critical",
    "page": "critical",
    "emergency": "critical",
    "error": "high",
    "high": "high",
    "major": "high",
    "warning": "medium",
    "medium": "medium",
    "minor": "medium",
    "info": "low",
    "low": "low",
    "none": "low",
    "Critical": "critical",
    "P1-unheard-of": "medium",
    None: "medium",
}


async def test_severity_label_maps_to_our_severities(stack: Stack) -> None:
    acme = await stack.company()
    alerts = [am_alert(instance=f"host-{n}:9100", severity=label) for n, label in enumerate(SEVERITIES)]
    response = await post_notification(stack, notification(*alerts), bearer_auth(acme))
    assert response.status_code == 200, response.text
    stored = {a.asset_name: a.severity for a in await stack.alerts(acme.id)}
    assert stored == {f"host-{n}:9100": ours for n, ours in enumerate(SEVERITIES.values())}


async def test_asset_falls_back_to_job_then_unknown_when_instance_is_missing(stack: Stack) -> None:
    acme = await stack.company()
    with_job = am_alert(alertname="WatchdogMissing")
    del with_job["labels"]["instance"]
    bare = {**am_alert(alertname="Heartbeat"), "labels": {"alertname": "Heartbeat"}, "annotations": {}}
    response = await post_notification(stack, notification(with_job, bare), bearer_auth(acme))
    assert response.status_code == 200, response.text
    stored = {a.signature: a for a in await stack.alerts(acme.id)}
    assert stored["WatchdogMissing"].asset_name == "node"
    assert stored["Heartbeat"].asset_name == "unknown"
    assert stored["Heartbeat"].message == "Heartbeat on unknown"
    assert stored["Heartbeat"].severity == "medium"


async def test_company_label_settings_choose_asset_signature_and_severity(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    reader = await Reader.signed_in(stack)
    await reader.set_alertmanager_labels(
        acme.id, asset_label="host", signature_label="check", severity_label="priority"
    )
    alert = am_alert(
        severity="info", extra_labels={"host": "db-prod-01", "check": "disk_space", "priority": "page"}
    )
    for creds in (acme, globex):
        response = await post_notification(stack, notification(alert), bearer_auth(creds))
        assert response.status_code == 200, response.text
    [ours] = await stack.alerts(acme.id)
    assert (ours.asset_name, ours.signature, ours.severity) == ("db-prod-01", "disk_space", "critical")
    [theirs] = await stack.alerts(globex.id)
    assert (theirs.asset_name, theirs.signature, theirs.severity) == (
        "db-prod-01:9100",
        "NodeFilesystemAlmostFull",
        "low",
    )


async def test_asset_label_missing_from_an_alert_falls_back_to_instance(stack: Stack) -> None:
    acme = await stack.company()
    reader = await Reader.signed_in(stack)
    await reader.set_alertmanager_labels(acme.id, asset_label="host")
    response = await post_notification(stack, notification(am_alert()), bearer_auth(acme))
    assert response.status_code == 200, response.text
    [stored] = await stack.alerts(acme.id)
    assert stored.asset_name == "db-prod-01:9100"


# --- resolution and repeats -------------------------------------------------------------------------------


async def test_resolved_notification_recovers_the_series_in_its_incident(stack: Stack) -> None:
    acme = await stack.company()
    reader = await Reader.signed_in(stack)
    var = am_alert(extra_labels={"mountpoint": "/var"})
    data = am_alert(extra_labels={"mountpoint": "/data"})
    fired = await post_notification(stack, notification(var, data), bearer_auth(acme))
    incident_id = await stack.incident_of(accepted(fired)["alerts"][0])

    ended = await post_notification(
        stack, notification(resolved(var, "2024-05-02T10:25:30Z"), data), bearer_auth(acme)
    )
    answers = {fp: await stack.settled(a) for fp, a in by_fingerprint(accepted(ended)).items()}
    assert answers[f"am:{var['fingerprint']}"]["duplicate"] is False
    assert answers[f"am:{var['fingerprint']}"]["incident_id"] == incident_id
    assert answers[f"am:{data['fingerprint']}"]["duplicate"] is True

    incident = await eventually(
        lambda: reader.incident(incident_id), lambda i: i is not None and i["recovery_count"] == 1
    )
    assert incident is not None
    assert incident["recovered_series"] == [f"am:{var['fingerprint']}"]
    recovery = next(a for a in await stack.alerts(acme.id) if a.status == "resolved")
    assert recovery.occurred_at == datetime(2024, 5, 2, 10, 25, 30, tzinfo=UTC)
    assert recovery.fingerprint == f"am:{var['fingerprint']}"


async def test_repeated_notification_is_answered_as_duplicates_and_writes_nothing_more(stack: Stack) -> None:
    acme = await stack.company()
    body = notification(am_alert(instance="a:9100"), am_alert(instance="b:9100"), group_by=("alertname",))
    first = await post_notification(stack, body, bearer_auth(acme))
    accepted(first)
    again = await post_notification(stack, body, bearer_auth(acme))
    accepted(again)  # 202 queued while the incidents have not recorded the first delivery yet
    assert [a["duplicate"] for a in again.json()["alerts"]] == [True, True]
    assert [a["alert_id"] for a in again.json()["alerts"]] == [a["alert_id"] for a in first.json()["alerts"]]
    assert await stack.count_rows("alert", acme.id) == 2
    assert len({await stack.incident_of(a) for a in first.json()["alerts"]}) == 2
    await eventually(lambda: stack.incidents(acme.id), lambda found: len(found) == 2)


async def test_alert_firing_again_after_it_resolved_is_a_new_alert(stack: Stack) -> None:
    acme = await stack.company()
    alert = am_alert(starts_at="2024-05-02T10:00:00Z")
    refired = {**alert, "startsAt": "2024-05-02T11:00:00Z"}
    for body in (alert, resolved(alert, "2024-05-02T10:30:00Z"), refired):
        response = await post_notification(stack, notification(body), bearer_auth(acme))
        assert response.status_code == 200, response.text
        assert response.json()["alerts"][0]["duplicate"] is False
    assert await stack.count_rows("alert", acme.id) == 3


async def test_notification_without_alerts_is_answered_with_a_reason(stack: Stack) -> None:
    acme = await stack.company()
    response = await post_notification(stack, notification(), bearer_auth(acme))
    assert response.status_code == 200, response.text
    assert response.json() == {"alerts": [], "ignored": "the notification carried no alerts"}
    await assert_nothing_written(stack, acme.id)


async def test_alerts_without_fingerprint_get_one_from_their_labels(stack: Stack) -> None:
    acme = await stack.company()
    alert = {k: v for k, v in am_alert().items() if k != "fingerprint"}
    first = await post_notification(stack, notification(alert), bearer_auth(acme))
    ended = await post_notification(stack, notification(resolved(alert)), bearer_auth(acme))
    assert first.status_code == ended.status_code == 200, (first.text, ended.text)
    fingerprint = first.json()["alerts"][0]["fingerprint"]
    assert fingerprint.startswith("am:") and len(fingerprint) == 3 + 16
    assert ended.json()["alerts"][0]["fingerprint"] == fingerprint


# --- who is calling ---------------------------------------------------------------------------------------


async def test_api_key_as_basic_auth_password_or_x_api_key_is_accepted(stack: Stack) -> None:
    acme = await stack.company()
    for n, headers in enumerate([basic_auth("alertmanager", acme.api_key), {"X-API-Key": acme.api_key}]):
        response = await post_notification(stack, notification(am_alert(instance=f"h{n}")), headers)
        assert response.status_code == 200, response.text
    assert await stack.count_rows("alert", acme.id) == 2


REFUSED_AUTH = {
    "no credentials": ({}, "missing API key"),
    "unknown bearer key": ({"Authorization": "Bearer awk_" + "0" * 40}, "unknown API key"),
    "unknown X-API-Key": ({"X-API-Key": "not-a-key"}, "unknown API key"),
    "basic not base64": ({"Authorization": "Basic %%%"}, "not base64"),
    "basic without password": (basic_auth("alertmanager", ""), "API key as the password"),
    "basic with wrong password": (basic_auth("alertmanager", "wrong"), "unknown API key"),
    "other scheme": ({"Authorization": "Token abc"}, "must be 'Bearer <api key>'"),
}


@pytest.mark.parametrize(("headers", "reason"), REFUSED_AUTH.values(), ids=REFUSED_AUTH.keys())
async def test_refused_credentials_get_401_with_a_reason_and_write_nothing(
    stack: Stack, headers: dict[str, str], reason: str
) -> None:
    acme = await stack.company()
    response = await post_notification(stack, notification(am_alert()), headers)
    assert response.status_code == 401, response.text
    assert reason in response.json()["detail"]
    await assert_nothing_written(stack, acme.id)


async def test_another_companys_key_files_the_alert_under_that_company_only(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    response = await post_notification(stack, notification(am_alert()), bearer_auth(globex))
    assert response.status_code == 200, response.text
    await assert_nothing_written(stack, acme.id)
    assert await stack.count_rows("alert", globex.id) == 1


# --- what is not an Alertmanager notification -------------------------------------------------------------


def error_locations(response: Any) -> dict[tuple[Any, ...], str]:
    return {tuple(e["loc"]): e["msg"] for e in response.json()["detail"]}


async def test_other_payload_version_is_refused_with_422_naming_the_version(stack: Stack) -> None:
    acme = await stack.company()
    response = await post_notification(stack, {**notification(am_alert()), "version": "3"}, bearer_auth(acme))
    assert response.status_code == 422, response.text
    assert (
        "unsupported Alertmanager webhook payload version '3'"
        in error_locations(response)[("body", "version")]
    )
    await assert_nothing_written(stack, acme.id)


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


WRONG_SHAPES = {
    "no version": (without(notification(am_alert()), "version"), ("body", "version")),
    "version as number": ({**notification(am_alert()), "version": 4}, ("body", "version")),
    "no alerts": (without(notification(am_alert()), "alerts"), ("body", "alerts")),
    "alerts not a list": ({**notification(am_alert()), "alerts": {"0": am_alert()}}, ("body", "alerts")),
    "alert status unknown": (
        notification({**am_alert(), "status": "pending"}),
        ("body", "alerts", 0, "status"),
    ),
    "label value not text": (
        notification({**am_alert(), "labels": {"alertname": "X", "port": 9100}}),
        ("body", "alerts", 0, "labels", "port"),
    ),
    "startsAt not a time": (
        notification({**am_alert(), "startsAt": "yesterday"}),
        ("body", "alerts", 0, "startsAt"),
    ),
    "NUL in summary": (
        notification(am_alert(instance="ok"), am_alert(summary="disk\u0000full")),
        ("body", "alerts", 1, "message"),
    ),
    "instance longer than 255": (
        notification(am_alert(instance="h" * 256)),
        ("body", "alerts", 0, "asset_name"),
    ),
}


@pytest.mark.parametrize(("body", "loc"), WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
async def test_wrong_shape_is_refused_with_422_at_its_field_and_writes_nothing(
    stack: Stack, body: dict[str, Any], loc: tuple[Any, ...]
) -> None:
    acme = await stack.company()
    response = await post_notification(stack, body, bearer_auth(acme))
    assert response.status_code == 422, response.text
    assert loc in error_locations(response)
    await assert_nothing_written(stack, acme.id)


async def test_body_that_is_not_json_is_refused_with_422(stack: Stack) -> None:
    acme = await stack.company()
    response = await post_notification(stack, b"alertname=DiskFull", bearer_auth(acme))
    assert response.status_code == 422, response.text
    assert response.json()["detail"]
    await assert_nothing_written(stack, acme.id)


# --- rate limit -------------------------------------------------------------------------------------------


@pytest.fixture
async def tight_stack(settings: Settings, temporal_client: Client) -> AsyncIterator[Stack]:
    running = make_stack(
        settings.model_copy(update={"rate_limit_per_s": 0.05, "rate_limit_burst": 3}), temporal_client
    )
    await running.start_api()
    running.start_worker()
    yield running
    await running.close()


async def test_each_alert_of_a_notification_counts_against_the_rate_limit(tight_stack: Stack) -> None:
    acme = await tight_stack.company()
    two = notification(am_alert(instance="a"), am_alert(instance="b"), group_by=("alertname",))
    accepted = await post_notification(tight_stack, two, bearer_auth(acme))
    assert accepted.status_code == 200, accepted.text
    refused = await post_notification(
        tight_stack,
        notification(am_alert(instance="c"), am_alert(instance="d"), group_by=("alertname",)),
        bearer_auth(acme),
    )
    assert refused.status_code == 429
    assert "rate limit exceeded" in refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) >= 1
    assert await tight_stack.count_rows("alert", acme.id) == 2


# --- anything at all, correctly authenticated --------------------------------------------------------------

DELIBERATE = {200, 202, 413, 422, 429}
labels = st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=6)
alert_shaped = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["firing", "resolved", "pending"]) | json_values,
        "labels": labels | json_values,
        "annotations": labels | json_values,
        "startsAt": st.datetimes(timezones=st.timezones() | st.none()).map(lambda d: d.isoformat())
        | st.sampled_from([ZERO_TIME, "2024-05-02T10:15:30.123456789Z"])
        | json_values,
        "endsAt": st.sampled_from([ZERO_TIME, "9999-12-31T23:59:59-01:00"]) | json_values,
        "generatorURL": st.text(max_size=40) | json_values,
        "fingerprint": st.text(max_size=120) | json_values,
    },
)
payload_shaped = st.fixed_dictionaries(
    {
        "version": st.sampled_from(["4", "4", "3", 4]),
        "alerts": st.lists(alert_shaped, max_size=4) | json_values,
    },
    optional={
        "groupKey": st.text(max_size=40) | json_values,
        "truncatedAlerts": st.integers(-5, 10**20) | json_values,
        "status": st.sampled_from(["firing", "resolved"]) | json_values,
        "receiver": st.text(max_size=20) | json_values,
        "groupLabels": labels | json_values,
        "commonLabels": labels | json_values,
        "commonAnnotations": labels | json_values,
        "externalURL": st.text(max_size=40) | json_values,
    },
)
bodies = st.one_of(
    st.binary(max_size=1024),
    st.builds(lambda v: json.dumps(v).encode(), json_values),
    st.builds(
        lambda v, ascii_only: json.dumps(v, ensure_ascii=ascii_only).encode(), payload_shaped, st.booleans()
    ),
    st.builds(
        lambda alerts: json.dumps({**notification(), "alerts": alerts}).encode(),
        st.lists(alert_shaped, max_size=4),
    ),
)


@settings(FUZZ, max_examples=150)
@given(body=bodies)
async def test_any_authenticated_body_gets_a_deliberate_answer(stack: Stack, body: bytes) -> None:
    acme = await stack.company()
    response = await post_notification(stack, body, bearer_auth(acme))
    assert response.status_code in DELIBERATE, (response.status_code, response.text, body[:1000])
    if response.status_code in (200, 202):
        answers = response.json()["alerts"]
        fresh = {a["alert_id"] for a in answers if not a["duplicate"]}
        assert await stack.count_rows("alert", acme.id) == len(fresh)
    else:
        assert response.json()["detail"]
        await assert_nothing_written(stack, acme.id)
