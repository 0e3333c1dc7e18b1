"""Messages Amazon SNS really signed, with the certificates it signed them with, verify with our code.

Our own tests sign with a test key, so they could share a misreading of AWS's string to sign with the
code under test; these cannot. Both were published with AWS::SNS::Verify (Perl, CPAN), whose author
tests them against the live certificates (fixtures/sns/). The certificates have long expired, so the
verifier is asked at a moment inside their validity, just after each message was sent.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from core.ingest.sns.client import AwsSns
from core.ingest.sns.message import SnsMessage
from core.ingest.sns.signature import SnsRejected

FIXTURES = Path(__file__).parent / "fixtures" / "sns"
GENUINE = ["genuine-2015-notification", "genuine-2019-notification-unicode"]


def genuine(name: str) -> tuple[SnsMessage, bytes]:
    raw = (FIXTURES / f"{name}.json").read_bytes()
    return SnsMessage.model_validate_json(raw), (FIXTURES / f"{name}.pem").read_bytes()


def verifier_serving(url: str, pem: bytes, fetched: list[str]) -> AwsSns:
    def answer(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        return httpx.Response(200, content=pem) if str(request.url) == url else httpx.Response(404)

    return AwsSns(
        httpx.AsyncClient(transport=httpx.MockTransport(answer)),
        timeout_s=5,
        max_message_age_s=3600,
        max_clock_ahead_s=300,
    )


def just_after(message: SnsMessage) -> datetime:
    return datetime.fromisoformat(message.Timestamp) + timedelta(minutes=1)


@pytest.mark.parametrize("name", GENUINE)
async def test_message_signed_by_amazon_sns_verifies(name: str) -> None:
    message, pem = genuine(name)
    fetched: list[str] = []
    sns = verifier_serving(message.SigningCertURL, pem, fetched)
    await sns.verify(message, now=just_after(message))
    assert fetched == [message.SigningCertURL]
    await sns.aclose()


@pytest.mark.parametrize("name", GENUINE)
async def test_message_signed_by_amazon_sns_fails_once_altered(name: str) -> None:
    message, pem = genuine(name)
    sns = verifier_serving(message.SigningCertURL, pem, [])
    altered = message.model_copy(update={"Message": message.Message + " "})
    with pytest.raises(SnsRejected, match="Signature does not match"):
        await sns.verify(altered, now=just_after(message))
    await sns.aclose()


async def test_genuine_message_is_refused_once_its_certificate_expired() -> None:
    message, pem = genuine("genuine-2015-notification")
    sns = verifier_serving(message.SigningCertURL, pem, [])
    # Inside the message's time window (its Timestamp moved along), but after the certificate expired.
    later = datetime.fromisoformat("2016-01-01T00:00:00+00:00")
    moved = message.model_copy(update={"Timestamp": "2016-01-01T00:00:00.000Z"})
    with pytest.raises(SnsRejected, match="certificate is not valid now"):
        await sns.verify(moved, now=later)
    await sns.aclose()


def test_fixtures_are_the_sns_json_documents() -> None:
    # The 2019 message has no Subject and a character outside the BMP, sent as a JSON surrogate pair.
    unicode_message, _ = genuine("genuine-2019-notification-unicode")
    assert unicode_message.Subject is None
    assert unicode_message.Message.endswith("\U0001f34c")
    assert json.loads((FIXTURES / "genuine-2015-notification.json").read_text())["SignatureVersion"] == "1"
