"""CloudWatch alarms through an SNS HTTPS subscription: POST /api/webhooks/cloudwatch.

The API runs for real (HTTP, PostgreSQL, Temporal worker); only AWS's side of the network is the fake
in tests/support/sns_fakes.py, which serves our own test certificate at an SNS URL.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from temporalio.client import Client

from core.accounts.roles import Role
from core.runtime import build_services
from core.settings import Settings
from tests.support.fuzzing import FUZZ, json_values
from tests.support.signin import bearer
from tests.support.sns_fakes import (
    CERT_URL,
    REGION,
    TOPIC,
    FakeAws,
    alarm,
    certificate_pem,
    confirmation,
    impostor_key,
    notification,
    sign,
    signing_key,
    sns_timestamp,
)
from tests.support.stack import Stack, TenantCreds, accepted, eventually

ENDPOINT = "/api/webhooks/cloudwatch"


@pytest.fixture
def aws() -> FakeAws:
    return FakeAws()


@pytest.fixture
async def sns_stack(settings: Settings, temporal_client: Client, aws: FakeAws) -> AsyncIterator[Stack]:
    services = build_services(settings, temporal_client, eager_start=True, aws_http=aws.client())
    running = Stack(settings=settings, services=services, client=temporal_client)
    await running.start_api()
    running.start_worker()
    yield running
    await running.close()


class Tenant:
    def __init__(self, creds: TenantCreds, admin_token: str) -> None:
        self.creds = creds
        self.auth = bearer(admin_token)


async def cloudwatch_tenant(
    stack: Stack, *, topics: list[str] | None = None, default_severity: str = "high"
) -> Tenant:
    """A company that allows `topics`, set up the way the docs tell an admin to."""
    creds = await stack.company("Acme")
    admin = await stack.user(Role.msp_admin, [creds.id])
    settings = {
        "allowed_topic_arns": [TOPIC] if topics is None else topics,
        "default_severity": default_severity,
    }
    response = await stack.http.put(
        f"{stack.url}/api/companies/{creds.id}",
        json={"integration_settings": {"cloudwatch": settings}},
        headers=bearer(admin["access_token"]),
    )
    assert response.status_code == 200, response.text
    return Tenant(creds, admin["access_token"])


async def deliver(
    stack: Stack,
    tenant: Tenant,
    message: dict[str, Any] | bytes,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    """POSTs as SNS does: text/plain JSON, the message type in a header, the API key in the URL."""
    raw = message if isinstance(message, bytes) else json.dumps(message).encode()
    sent = {
        "Content-Type": "text/plain; charset=UTF-8",
        "User-Agent": "Amazon Simple Notification Service Agent",
    }
    if isinstance(message, dict):
        sent["x-amz-sns-message-type"] = str(message.get("Type"))
        sent["x-amz-sns-topic-arn"] = str(message.get("TopicArn"))
    sent.update(headers or {})
    query = {"api_key": tenant.creds.api_key} if params is None else params
    return await stack.http.post(f"{stack.url}{ENDPOINT}", content=raw, headers=sent, params=query)


async def assert_nothing_written(stack: Stack, company_id: str) -> None:
    assert await stack.count_rows("alert", company_id) == 0
    assert await stack.count_rows("webhook_delivery", company_id) == 0


async def incident(stack: Stack, tenant: Tenant, incident_id: str) -> dict[str, Any] | None:
    """The incident as the API shows it, or None while its projection is not written yet."""
    response = await stack.http.get(f"{stack.url}/api/incidents/{incident_id}", headers=tenant.auth)
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


# --- alarms become alerts --------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1", "2"], ids=["SHA1withRSA", "SHA256withRSA"])
async def test_alarm_opens_an_incident_and_ok_recovers_its_series(
    sns_stack: Stack, aws: FakeAws, version: str
) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    firing = await deliver(sns_stack, tenant, sign(notification(alarm("ALARM")), version=version))
    opened = await sns_stack.settled(firing)
    arn = f"arn:aws:cloudwatch:{REGION}:123456789012:alarm:web-01 CPU high"
    assert opened["fingerprint"] == f"cw:{arn}"
    assert opened["incident_id"]
    assert firing.json()["ignored"] is None

    shown = await eventually(
        lambda: incident(sns_stack, tenant, opened["incident_id"]), lambda i: i is not None
    )
    assert shown is not None
    assert shown["asset_name"] == "i-0abc123def4567890"
    assert shown["signature"] == "web-01 CPU high"
    assert shown["tool_sources"] == ["cloudwatch"]
    assert shown["recovery_count"] == 0

    ok = alarm("OK", old_state="ALARM", changed_at="2024-05-02T10:25:30.000+0000")
    recovered = await deliver(
        sns_stack, tenant, sign(notification(ok, subject="OK: web-01"), version=version)
    )
    assert recovered.status_code in (200, 202), recovered.text
    [recovery] = recovered.json()["alerts"]
    assert recovery["fingerprint"] == opened["fingerprint"]

    after = await eventually(
        lambda: incident(sns_stack, tenant, opened["incident_id"]),
        lambda i: i is not None and i["recovery_count"] == 1,
    )
    assert after is not None
    assert after["recovered_series"] == [opened["fingerprint"]]
    statuses = sorted(a["status"] for a in after["alerts"])
    assert statuses == ["firing", "resolved"]
    assert aws.requests == [CERT_URL]  # fetched once, then cached


async def test_alarm_maps_to_an_alert_as_the_docs_table_says(sns_stack: Stack) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    rds = alarm(
        name="orders-db free storage low",
        description="Free storage under 10 GiB. severity=critical runbook: https://wiki/rds",
        metric="FreeStorageSpace",
        namespace="AWS/RDS",
        dimensions=[{"name": "DBInstanceIdentifier", "value": "orders-db-1"}],
        changed_at="2024-05-02T10:15:30.123+0000",
    )
    response = await deliver(sns_stack, tenant, sign(notification(rds, message_id="m-rds-1")))
    accepted(response)
    [stored] = await sns_stack.alerts(tenant.creds.id)
    assert stored.asset_name == "orders-db-1"
    assert stored.signature == "orders-db free storage low"
    assert stored.severity == "critical"
    assert stored.status == "firing"
    assert stored.tool_source == "cloudwatch"
    assert stored.delivery_id == "sns:m-rds-1"
    assert stored.occurred_at == datetime(2024, 5, 2, 10, 15, 30, 123000, tzinfo=UTC)
    assert stored.labels == {
        "region": "US East (N. Virginia)",
        "account": "123456789012",
        "alarm_arn": f"arn:aws:cloudwatch:{REGION}:123456789012:alarm:orders-db free storage low",
        "old_state": "OK",
        "new_state": "ALARM",
        "namespace": "AWS/RDS",
        "metric": "FreeStorageSpace",
        "dimensions": {"DBInstanceIdentifier": "orders-db-1"},
    }
    assert stored.message.startswith("ALARM: orders-db free storage low: Threshold Crossed")


async def test_alarm_without_severity_in_description_takes_the_companys_default(sns_stack: Stack) -> None:
    tenant = await cloudwatch_tenant(sns_stack, default_severity="low")
    response = await deliver(sns_stack, tenant, sign(notification(alarm(description=None))))
    accepted(response)
    [stored] = await sns_stack.alerts(tenant.creds.id)
    assert stored.severity == "low"


async def test_load_balancer_dimension_names_the_asset_before_the_target_group(sns_stack: Stack) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    dims = [
        {"name": "TargetGroup", "value": "targetgroup/web/0123456789abcdef"},
        {"name": "LoadBalancer", "value": "app/web-alb/fedcba9876543210"},
    ]
    elb = alarm(
        name="web 5xx", namespace="AWS/ApplicationELB", metric="HTTPCode_Target_5XX_Count", dimensions=dims
    )
    response = await deliver(sns_stack, tenant, sign(notification(elb)))
    accepted(response)
    [stored] = await sns_stack.alerts(tenant.creds.id)
    assert stored.asset_name == "app/web-alb/fedcba9876543210"


async def test_alarm_without_dimensions_is_named_after_the_alarm(sns_stack: Stack) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    response = await deliver(
        sns_stack, tenant, sign(notification(alarm(name="billing over budget", dimensions=[])))
    )
    accepted(response)
    [stored] = await sns_stack.alerts(tenant.creds.id)
    assert stored.asset_name == "billing over budget"


async def test_redelivered_message_id_is_a_duplicate_and_stores_once(sns_stack: Stack) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    message = sign(notification(alarm(), message_id="2f1c0b9e-5d0e-5f4e-9a51-0d3c1f6b8a77"))
    first = await deliver(sns_stack, tenant, message)
    again = await deliver(sns_stack, tenant, message)
    accepted(first)
    accepted(again)  # a duplicate of an alert its incident has not recorded yet answers 202 queued
    assert first.json()["alerts"][0]["duplicate"] is False
    assert again.json()["alerts"][0]["duplicate"] is True
    assert again.json()["alerts"][0]["alert_id"] == first.json()["alerts"][0]["alert_id"]
    assert await sns_stack.count_rows("alert", tenant.creds.id) == 1


async def test_insufficient_data_is_ignored_with_a_reason_and_writes_nothing(sns_stack: Stack) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    response = await deliver(sns_stack, tenant, sign(notification(alarm("INSUFFICIENT_DATA"))))
    assert response.status_code == 200, response.text
    assert response.json()["alerts"] == []
    assert "INSUFFICIENT_DATA" in response.json()["ignored"]
    await assert_nothing_written(sns_stack, tenant.creds.id)


async def test_api_key_header_works_instead_of_the_query_string(sns_stack: Stack) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    response = await deliver(
        sns_stack, tenant, sign(notification(alarm())), headers={"X-API-Key": tenant.creds.api_key}, params={}
    )
    accepted(response)


# --- messages that are not a CloudWatch alarm ------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    ["Hello world!", json.dumps({"foo": "bar"}), json.dumps({**alarm(), "NewStateValue": "BROKEN"}), "[]"],
    ids=["plain text", "other JSON", "unknown state", "JSON array"],
)
async def test_notification_that_is_not_a_cloudwatch_alarm_is_422_and_writes_nothing(
    sns_stack: Stack, message: str
) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    response = await deliver(sns_stack, tenant, sign(notification(message)))
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert all(e["loc"][:2] == ["body", "Message"] for e in detail)
    assert all("not a CloudWatch alarm" in e["msg"] for e in detail)
    await assert_nothing_written(sns_stack, tenant.creds.id)


async def test_body_that_is_not_an_sns_message_is_422(sns_stack: Stack, aws: FakeAws) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    response = await deliver(sns_stack, tenant, json.dumps(alarm()).encode())
    assert response.status_code == 422, response.text
    assert aws.requests == []
    await assert_nothing_written(sns_stack, tenant.creds.id)


async def test_message_type_header_that_contradicts_the_body_is_400(sns_stack: Stack) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    message = sign(notification(alarm()))
    response = await deliver(
        sns_stack, tenant, message, headers={"x-amz-sns-message-type": "SubscriptionConfirmation"}
    )
    assert response.status_code == 400, response.text
    assert "x-amz-sns-message-type" in response.json()["detail"]
    await assert_nothing_written(sns_stack, tenant.creds.id)


# --- authenticity: API key, topic, signature, certificate, age ------------------------------------------


async def test_unknown_or_missing_api_key_is_401(sns_stack: Stack, aws: FakeAws) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    message = sign(notification(alarm()))
    unknown = await deliver(sns_stack, tenant, message, params={"api_key": "awk_" + "0" * 40})
    missing = await deliver(sns_stack, tenant, message, params={})
    assert unknown.status_code == 401
    assert missing.status_code == 401
    assert "?api_key=" in missing.json()["detail"]
    assert aws.requests == []
    await assert_nothing_written(sns_stack, tenant.creds.id)


async def test_topic_not_allowed_is_403_naming_the_topic_and_fetches_nothing(
    sns_stack: Stack, aws: FakeAws
) -> None:
    tenant = await cloudwatch_tenant(sns_stack, topics=[])
    for message in (notification(alarm()), confirmation()):
        response = await deliver(sns_stack, tenant, sign(message))
        assert response.status_code == 403, response.text
        detail = response.json()["detail"]
        assert TOPIC in detail
        assert "allowed_topic_arns" in detail
    assert aws.requests == []
    await assert_nothing_written(sns_stack, tenant.creds.id)


async def test_another_companys_allowed_topic_does_not_open_this_company(sns_stack: Stack) -> None:
    allowed = await cloudwatch_tenant(sns_stack)
    other = await cloudwatch_tenant(sns_stack, topics=[f"arn:aws:sns:{REGION}:210987654321:their-alarms"])
    response = await deliver(sns_stack, other, sign(notification(alarm())))
    assert response.status_code == 403
    await assert_nothing_written(sns_stack, other.creds.id)
    await assert_nothing_written(sns_stack, allowed.creds.id)


async def test_signature_by_another_key_is_401_and_writes_nothing(sns_stack: Stack) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    forged = sign(notification(alarm()), key=impostor_key())
    response = await deliver(sns_stack, tenant, forged)
    assert response.status_code == 401, response.text
    assert "Signature does not match" in response.json()["detail"]
    await assert_nothing_written(sns_stack, tenant.creds.id)


@pytest.mark.parametrize(
    "change",
    [
        {"Message": json.dumps(alarm("OK"))},
        {"TopicArn": f"arn:aws:sns:{REGION}:123456789012:cloudwatch-alarms-2"},
        {"Subject": "changed"},
        {"MessageId": "another-id"},
        {"Timestamp": sns_timestamp(datetime.now(UTC) - timedelta(seconds=5))},
        {"Type": "SubscriptionConfirmation"},
        {"SignatureVersion": "2"},
    ],
    ids=lambda change: next(iter(change)),
)
async def test_message_changed_after_signing_is_401_and_writes_nothing(
    sns_stack: Stack, change: dict[str, str]
) -> None:
    topics = [TOPIC, f"arn:aws:sns:{REGION}:123456789012:cloudwatch-alarms-2"]
    tenant = await cloudwatch_tenant(sns_stack, topics=topics)
    tampered = {**sign(notification(alarm())), **change}
    response = await deliver(
        sns_stack, tenant, tampered, headers={"x-amz-sns-message-type": tampered["Type"]}
    )
    assert response.status_code == 401, response.text
    await assert_nothing_written(sns_stack, tenant.creds.id)


async def test_subject_added_to_a_message_signed_without_one_is_401(sns_stack: Stack) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    signed = sign(notification(alarm(), subject=None))
    response = await deliver(sns_stack, tenant, {**signed, "Subject": "ALARM"})
    assert response.status_code == 401, response.text
    await assert_nothing_written(sns_stack, tenant.creds.id)


@pytest.mark.parametrize("version", ["3", "", "SHA256"])
async def test_unknown_signature_version_is_401(sns_stack: Stack, aws: FakeAws, version: str) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    message = {**sign(notification(alarm())), "SignatureVersion": version}
    response = await deliver(sns_stack, tenant, message)
    assert response.status_code == 401, response.text
    assert "SignatureVersion" in response.json()["detail"]
    assert aws.requests == []
    await assert_nothing_written(sns_stack, tenant.creds.id)


@pytest.mark.parametrize(
    ("valid_from", "valid_to"),
    [(timedelta(days=-30), timedelta(minutes=-1)), (timedelta(minutes=5), timedelta(days=30))],
    ids=["expired", "not yet valid"],
)
async def test_certificate_outside_its_validity_is_401(
    sns_stack: Stack, aws: FakeAws, valid_from: timedelta, valid_to: timedelta
) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    url = f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService-outdated.pem"
    aws.certificates[url] = certificate_pem(signing_key(), valid_from=valid_from, valid_to=valid_to)
    response = await deliver(sns_stack, tenant, sign(notification(alarm(), cert_url=url)))
    assert response.status_code == 401, response.text
    assert "certificate is not valid now" in response.json()["detail"]
    await assert_nothing_written(sns_stack, tenant.creds.id)


@pytest.mark.parametrize(
    "sent",
    [timedelta(hours=-2), timedelta(seconds=-3700), timedelta(minutes=30)],
    ids=["2h old", "1h+ old", "future"],
)
async def test_correctly_signed_message_outside_the_time_window_is_401(
    sns_stack: Stack, aws: FakeAws, sent: timedelta
) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    stale = sign(notification(alarm(), timestamp=sns_timestamp(datetime.now(UTC) + sent)))
    response = await deliver(sns_stack, tenant, stale)
    assert response.status_code == 401, response.text
    assert "Timestamp" in response.json()["detail"]
    assert aws.requests == []
    await assert_nothing_written(sns_stack, tenant.creds.id)


OFF_SNS_CERT_URLS = {
    "http": f"http://sns.{REGION}.amazonaws.com/SimpleNotificationService-a.pem",
    "other host": "https://example.com/SimpleNotificationService-a.pem",
    "sns.evil.com": "https://sns.evil.com/SimpleNotificationService-a.pem",
    "amazonaws suffix": f"https://sns.{REGION}.amazonaws.com.evil.com/SimpleNotificationService-a.pem",
    "not sns": f"https://s3.{REGION}.amazonaws.com/SimpleNotificationService-a.pem",
    "userinfo": f"https://user@sns.{REGION}.amazonaws.com/SimpleNotificationService-a.pem",
    "userinfo host": f"https://sns.{REGION}.amazonaws.com@evil.com/SimpleNotificationService-a.pem",
    "backslash": f"https://evil.com\\@sns.{REGION}.amazonaws.com/SimpleNotificationService-a.pem",
    "port": f"https://sns.{REGION}.amazonaws.com:8443/SimpleNotificationService-a.pem",
    "path host": f"https://evil.com/sns.{REGION}.amazonaws.com/SimpleNotificationService-a.pem",
    "not a pem": f"https://sns.{REGION}.amazonaws.com/?Action=GetCert",
    "newline": f"https://sns.{REGION}.amazonaws.com.evil\n.com/SimpleNotificationService-a.pem",
    "no region": "https://sns.amazonaws.com/SimpleNotificationService-a.pem",
}


@pytest.mark.parametrize("url", OFF_SNS_CERT_URLS.values(), ids=OFF_SNS_CERT_URLS.keys())
async def test_signing_cert_url_off_sns_is_401_without_fetching(
    sns_stack: Stack, aws: FakeAws, url: str
) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    aws.attacker_urls.add(url)  # answers with a certificate for the signing key, if it were ever asked
    response = await deliver(sns_stack, tenant, sign(notification(alarm(), cert_url=url)))
    assert response.status_code == 401, response.text
    assert "SigningCertURL" in response.json()["detail"]
    assert aws.requests == []
    await assert_nothing_written(sns_stack, tenant.creds.id)


async def test_china_region_certificate_url_is_trusted(sns_stack: Stack, aws: FakeAws) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    url = "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-cn.pem"
    aws.certificates[url] = aws.certificates[CERT_URL]
    response = await deliver(sns_stack, tenant, sign(notification(alarm(), cert_url=url)))
    accepted(response)
    assert aws.requests == [url]


async def test_certificate_that_cannot_be_fetched_is_401_and_writes_nothing(sns_stack: Stack) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    missing = f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService-gone.pem"
    response = await deliver(sns_stack, tenant, sign(notification(alarm(), cert_url=missing)))
    assert response.status_code == 401, response.text
    assert "HTTP 404" in response.json()["detail"]
    await assert_nothing_written(sns_stack, tenant.creds.id)


async def test_aws_unreachable_is_503_so_sns_retries_and_writes_nothing(
    sns_stack: Stack, aws: FakeAws
) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    aws.unreachable.add(CERT_URL)
    response = await deliver(sns_stack, tenant, sign(notification(alarm())))
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    await assert_nothing_written(sns_stack, tenant.creds.id)


# --- subscription handshake -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1", "2"])
async def test_subscription_confirmation_for_an_allowed_topic_visits_subscribe_url_once(
    sns_stack: Stack, aws: FakeAws, version: str
) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    message = sign(confirmation(), version=version)
    response = await deliver(sns_stack, tenant, message)
    assert response.status_code == 200, response.text
    assert response.json() == {"alerts": [], "ignored": f"subscription to {TOPIC} confirmed"}
    [visited] = aws.confirmations()
    assert httpx.URL(visited) == httpx.URL(message["SubscribeURL"])
    await assert_nothing_written(sns_stack, tenant.creds.id)


async def test_forged_subscription_confirmation_is_401_and_visits_nothing(
    sns_stack: Stack, aws: FakeAws
) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    response = await deliver(sns_stack, tenant, sign(confirmation(), key=impostor_key()))
    assert response.status_code == 401, response.text
    assert aws.confirmations() == []


OFF_SNS_SUBSCRIBE_URLS = {
    "other host": "https://evil.example/?Action=ConfirmSubscription&Token=x",
    "http": f"http://sns.{REGION}.amazonaws.com/?Action=ConfirmSubscription&Token=x",
    "metadata service": "http://169.254.169.254/latest/meta-data/?Action=ConfirmSubscription",
    "amazonaws suffix": f"https://sns.{REGION}.amazonaws.com.evil.com/?Action=ConfirmSubscription",
    "userinfo": f"https://sns.{REGION}.amazonaws.com@evil.com/?Action=ConfirmSubscription",
    "port": f"https://sns.{REGION}.amazonaws.com:444/?Action=ConfirmSubscription",
    "another action": f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={TOPIC}:x",
}


@pytest.mark.parametrize("url", OFF_SNS_SUBSCRIBE_URLS.values(), ids=OFF_SNS_SUBSCRIBE_URLS.keys())
async def test_subscribe_url_off_sns_is_refused_and_never_fetched(
    sns_stack: Stack, aws: FakeAws, url: str
) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    aws.attacker_urls.add(url)
    response = await deliver(sns_stack, tenant, sign(confirmation(subscribe_url=url)))
    assert response.status_code == 422, response.text
    assert "SubscribeURL" in response.json()["detail"]
    assert aws.requests == [CERT_URL]  # the signature was checked; the SubscribeURL never visited
    await assert_nothing_written(sns_stack, tenant.creds.id)


async def test_unsubscribe_confirmation_is_verified_and_ignored(sns_stack: Stack, aws: FakeAws) -> None:
    tenant = await cloudwatch_tenant(sns_stack)
    response = await deliver(sns_stack, tenant, sign(confirmation("UnsubscribeConfirmation")))
    assert response.status_code == 200, response.text
    assert response.json()["alerts"] == []
    assert "unsubscribe" in response.json()["ignored"]
    assert aws.confirmations() == []
    forged = await deliver(
        sns_stack, tenant, sign(confirmation("UnsubscribeConfirmation"), key=impostor_key())
    )
    assert forged.status_code == 401
    await assert_nothing_written(sns_stack, tenant.creds.id)


# --- fuzzing with a valid API key: never a server error, nothing written on a refusal ---------------------

DELIBERATE = {200, 202, 400, 401, 403, 413, 422, 429}
texts = st.text(max_size=300) | st.sampled_from(["", " ", "\u0000", "\ud800", "é😀", "x" * 300])
times_as_sent = (
    st.datetimes(timezones=st.timezones() | st.none()).map(lambda d: d.isoformat())
    | st.sampled_from(
        ["2024-05-02T10:15:30.123+0000", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]
    )
    | st.text(max_size=30)
)
dimensions = st.lists(st.fixed_dictionaries({"name": texts, "value": texts}) | json_values, max_size=4)
alarm_shaped = st.fixed_dictionaries(
    {},
    optional={
        "AlarmName": texts | json_values,
        "NewStateValue": st.sampled_from(["ALARM", "OK", "INSUFFICIENT_DATA", "alarm", ""]) | json_values,
        "StateChangeTime": times_as_sent | json_values,
        "AlarmDescription": st.none()
        | texts
        | st.sampled_from(["severity=critical", "SEVERITY = low", "severity=urgent"]),
        "AWSAccountId": texts,
        "NewStateReason": texts | st.integers(65_000, 70_000).map(lambda n: "r" * n),
        "Region": texts,
        "AlarmArn": texts | st.integers(250, 400).map(lambda n: "a" * n),
        "OldStateValue": texts | json_values,
        "Trigger": st.none()
        | json_values
        | st.fixed_dictionaries(
            {}, optional={"MetricName": texts, "Namespace": texts, "Dimensions": dimensions}
        ),
    },
)
messages = alarm_shaped.map(json.dumps) | st.builds(json.dumps, json_values) | texts
signed_envelopes = st.one_of(
    st.builds(
        lambda message, version, subject: sign(notification(message, subject=subject), version=version),
        messages,
        st.sampled_from(["1", "2"]),
        st.none() | texts,
    ),
    st.builds(lambda alarm_fields: sign(notification({**alarm(), **alarm_fields})), alarm_shaped),
    st.builds(
        lambda kind, url: sign(confirmation(kind, subscribe_url=url)),
        st.sampled_from(["SubscriptionConfirmation", "UnsubscribeConfirmation"]),
        st.none()
        | texts
        | st.sampled_from([f"https://sns.{REGION}.amazonaws.com/?Action=ConfirmSubscription&a=b"]),
    ),
)
envelope_fields = [
    "Type",
    "MessageId",
    "TopicArn",
    "Message",
    "Timestamp",
    "SignatureVersion",
    "Signature",
    "SigningCertURL",
    "Subject",
    "SubscribeURL",
    "Token",
]
altered_envelopes = st.builds(
    lambda envelope, changes: {**envelope, **changes},
    signed_envelopes,
    st.dictionaries(st.sampled_from(envelope_fields), texts | json_values, max_size=3),
)
# Mostly correctly signed messages, so that most examples get past the signature to the alarm mapping.
signed_bodies = st.builds(lambda e: json.dumps(e).encode(), signed_envelopes)
bodies = st.one_of(
    st.binary(max_size=1024),
    st.builds(lambda v: json.dumps(v).encode(), json_values),
    signed_bodies,
    signed_bodies,
    signed_bodies,
    st.builds(lambda e: json.dumps(e).encode(), altered_envelopes),
    st.builds(lambda e: json.dumps(e, ensure_ascii=False).encode("utf-8", "surrogatepass"), signed_envelopes),
)


@settings(FUZZ, max_examples=200)
@given(
    body=bodies, type_header=st.none() | st.sampled_from(["Notification", "SubscriptionConfirmation", "junk"])
)
async def test_any_body_with_a_valid_api_key_gets_a_deliberate_answer(
    sns_stack: Stack, body: bytes, type_header: str | None
) -> None:
    tenant = await sns_stack.once("cloudwatch-fuzz-tenant", lambda: cloudwatch_tenant(sns_stack))
    before = await sns_stack.count_rows("alert", tenant.creds.id)
    headers = {} if type_header is None else {"x-amz-sns-message-type": type_header}
    response = await deliver(sns_stack, tenant, body, headers=headers)
    event(f"HTTP {response.status_code}")
    assert response.status_code in DELIBERATE, (response.status_code, response.text[:500], body[:500])
    if response.status_code >= 400:
        assert response.json()["detail"], response.text
        assert await sns_stack.count_rows("alert", tenant.creds.id) == before
