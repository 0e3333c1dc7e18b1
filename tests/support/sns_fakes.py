"""Stand-ins for AWS's side of an SNS HTTPS subscription: signed messages and the endpoints SNS runs.

Our signer builds the string to sign from AWS's documentation on its own (not with the code under
test), and the fake AWS replaces only the network: the API's own httpx client talks to it.
Message shapes follow https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html and,
for alarms, the JSON CloudWatch publishes (AlarmName, NewStateValue, Trigger.Dimensions, ...).
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

REGION = "us-east-1"
ACCOUNT = "123456789012"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:cloudwatch-alarms"
CERT_URL = (
    f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"
)


@cache
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def impostor_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate_pem(key: rsa.RSAPrivateKey, *, valid_from: timedelta, valid_to: timedelta) -> bytes:
    """A self-signed certificate for `key`, valid from now+valid_from to now+valid_to."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + valid_from)
        .not_valid_after(now + valid_to)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


def current_certificate() -> bytes:
    return certificate_pem(signing_key(), valid_from=timedelta(days=-1), valid_to=timedelta(days=30))


NOTIFICATION_FIELDS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
CONFIRMATION_FIELDS = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]


def sign(
    message: dict[str, Any], *, version: str = "1", key: rsa.RSAPrivateKey | None = None
) -> dict[str, Any]:
    """`message` with SignatureVersion and Signature as SNS computes them."""
    names = NOTIFICATION_FIELDS if message["Type"] == "Notification" else CONFIRMATION_FIELDS
    text = "".join(f"{name}\n{message[name]}\n" for name in names if name in message)
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    # surrogatepass: fuzzed text may hold lone surrogates, which the API must refuse, not crash on.
    signed = text.encode("utf-8", "surrogatepass")
    signature = (key or signing_key()).sign(signed, padding.PKCS1v15(), algorithm)
    return {**message, "SignatureVersion": version, "Signature": base64.b64encode(signature).decode()}


def sns_timestamp(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def alarm(
    state: str = "ALARM",
    *,
    name: str = "web-01 CPU high",
    description: str | None = "CPU above 90% for 5 minutes",
    dimensions: list[dict[str, str]] | None = None,
    metric: str = "CPUUtilization",
    namespace: str = "AWS/EC2",
    old_state: str = "OK",
    changed_at: str = "2024-05-02T10:15:30.123+0000",
) -> dict[str, Any]:
    """The alarm JSON CloudWatch publishes to its SNS topic on a state change."""
    return {
        "AlarmName": name,
        "AlarmDescription": description,
        "AWSAccountId": ACCOUNT,
        "AlarmConfigurationUpdatedTimestamp": "2024-05-01T08:00:00.000+0000",
        "NewStateValue": state,
        "NewStateReason": "Threshold Crossed: 1 out of the last 1 datapoints [97.5 (02/05/24 10:14:00)] "
        "was greater than the threshold (90.0) (minimum 1 datapoint for OK -> ALARM transition).",
        "StateChangeTime": changed_at,
        "Region": "US East (N. Virginia)",
        "AlarmArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}",
        "OldStateValue": old_state,
        "OKActions": [TOPIC],
        "AlarmActions": [TOPIC],
        "InsufficientDataActions": [],
        "Trigger": {
            "MetricName": metric,
            "Namespace": namespace,
            "StatisticType": "Statistic",
            "Statistic": "AVERAGE",
            "Unit": None,
            "Dimensions": [{"value": "i-0abc123def4567890", "name": "InstanceId"}]
            if dimensions is None
            else dimensions,
            "Period": 60,
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 90.0,
            "TreatMissingData": "missing",
            "EvaluateLowSampleCountPercentile": "",
        },
    }


def notification(
    message: dict[str, Any] | str,
    *,
    topic: str = TOPIC,
    message_id: str | None = None,
    timestamp: str | None = None,
    cert_url: str = CERT_URL,
    subject: str | None = 'ALARM: "web-01 CPU high" in US East (N. Virginia)',
) -> dict[str, Any]:
    """An unsigned SNS Notification carrying `message` (a dict is sent as JSON text, as CloudWatch does)."""
    body: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": message_id or str(uuid.uuid4()),
        "TopicArn": topic,
        "Message": message if isinstance(message, str) else json.dumps(message),
        "Timestamp": timestamp or sns_timestamp(),
        "SigningCertURL": cert_url,
        "UnsubscribeURL": f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={topic}:"
        + str(uuid.uuid4()),
    }
    if subject is not None:
        body["Subject"] = subject
    return body


def confirmation(
    kind: str = "SubscriptionConfirmation",
    *,
    topic: str = TOPIC,
    subscribe_url: str | None = None,
    timestamp: str | None = None,
    cert_url: str = CERT_URL,
) -> dict[str, Any]:
    token = uuid.uuid4().hex * 4
    verb = "subscribe to" if kind == "SubscriptionConfirmation" else "unsubscribe from"
    return {
        "Type": kind,
        "MessageId": str(uuid.uuid4()),
        "Token": token,
        "TopicArn": topic,
        "Message": f"You have chosen to {verb} the topic {topic}.\nTo confirm, visit the SubscribeURL "
        "included in this message.",
        "SubscribeURL": subscribe_url
        or f"https://sns.{REGION}.amazonaws.com/?Action=ConfirmSubscription&TopicArn={topic}&Token={token}",
        "Timestamp": timestamp or sns_timestamp(),
        "SigningCertURL": cert_url,
    }


@dataclass
class FakeAws:
    """Answers what the API fetches: certificates at their URLs, and ConfirmSubscription requests."""

    certificates: dict[str, bytes] = field(default_factory=dict)
    # URLs (not on SNS) an attacker controls: they would answer 200 if the API ever fetched them.
    attacker_urls: set[str] = field(default_factory=set)
    unreachable: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.certificates.setdefault(CERT_URL, current_certificate())

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self._answer))

    def _answer(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.requests.append(url)
        if url in self.unreachable:
            raise httpx.ConnectError("connection refused", request=request)
        if url in self.certificates:
            return httpx.Response(200, content=self.certificates[url])
        if url in self.attacker_urls:
            return httpx.Response(200, content=current_certificate())
        if request.url.host.startswith("sns.") and request.url.params.get("Action") == "ConfirmSubscription":
            return httpx.Response(200, text="<ConfirmSubscriptionResponse/>")
        return httpx.Response(404, text="<Error><Code>NotFound</Code></Error>")

    def confirmations(self) -> list[str]:
        return [url for url in self.requests if "Action=ConfirmSubscription" in url]
