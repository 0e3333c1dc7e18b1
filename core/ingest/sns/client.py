"""What the SNS endpoint asks of AWS over the network: signing certificates (cached) and
subscription confirmations. Only SNS's own https endpoints are ever contacted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from cachetools import TTLCache
from cryptography import x509

from core.ingest.sns.message import SnsMessage
from core.ingest.sns.signature import (
    SnsRejected,
    check_certificate_current,
    check_signature,
    check_signature_version,
    check_timestamp,
    parse_certificate,
    signing_cert_url_problem,
    sns_url_problem,
)

# A certificate is a few KiB; AWS's other answers are read only this far.
MAX_ANSWER_BYTES = 64 * 1024
# SNS signs with a handful of certificates that change every year or so.
CERTIFICATE_CACHE_S = 6 * 3600


class SnsUnreachable(Exception):
    """AWS did not answer (network, timeout, 5xx): SNS should retry the delivery later."""


class SubscribeUrlRefused(Exception):
    """A SubscribeURL we will not fetch, or one AWS refused to confirm; the text says which."""


class AwsSns:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        timeout_s: float,
        max_message_age_s: float,
        max_clock_ahead_s: float,
    ) -> None:
        self._http = http
        self._timeout = timeout_s
        self._max_age = timedelta(seconds=max_message_age_s)
        self._max_ahead = timedelta(seconds=max_clock_ahead_s)
        self._certificates: TTLCache[str, x509.Certificate] = TTLCache(maxsize=64, ttl=CERTIFICATE_CACHE_S)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def verify(self, message: SnsMessage, now: datetime | None = None) -> None:
        """Raises SnsRejected unless Amazon SNS signed `message` recently. Everything that needs no
        network is checked before the certificate is fetched."""
        now = now or datetime.now(UTC)
        problem = signing_cert_url_problem(message.SigningCertURL)
        if problem:
            raise SnsRejected(f"{problem}; the certificate was not fetched")
        check_timestamp(message, now, self._max_age, self._max_ahead)
        check_signature_version(message)
        certificate = await self._certificate(message.SigningCertURL)
        check_certificate_current(certificate, now)
        check_signature(message, certificate)

    async def confirm_subscription(self, subscribe_url: str) -> None:
        problem = sns_url_problem(subscribe_url, "SubscribeURL")
        action = parse_qs(urlsplit(subscribe_url).query).get("Action") if problem is None else None
        if problem is None and action != ["ConfirmSubscription"]:
            problem = "SubscribeURL must be an SNS ConfirmSubscription request"
        if problem:
            raise SubscribeUrlRefused(f"{problem}; it was not fetched")
        status, _ = await self._get(subscribe_url, "confirm the subscription")
        if status != 200:
            raise SubscribeUrlRefused(
                f"AWS refused the subscription confirmation (HTTP {status}); the token may "
                "have expired: request a new confirmation for the subscription in the SNS console"
            )

    async def _certificate(self, url: str) -> x509.Certificate:
        cached = self._certificates.get(url)
        if cached is not None:
            return cached
        status, pem = await self._get(url, "fetch the signing certificate")
        if status != 200:
            raise SnsRejected(f"SigningCertURL answered HTTP {status}, not a certificate")
        if len(pem) > MAX_ANSWER_BYTES:
            raise SnsRejected(f"SigningCertURL answered with more than {MAX_ANSWER_BYTES} bytes")
        certificate = parse_certificate(pem)
        self._certificates[url] = certificate
        return certificate

    async def _get(self, url: str, purpose: str) -> tuple[int, bytes]:
        """GET without following redirects: the status, and at most MAX_ANSWER_BYTES + 1 of the body."""
        try:
            async with self._http.stream(
                "GET", url, timeout=self._timeout, follow_redirects=False
            ) as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > MAX_ANSWER_BYTES:
                        break
        except httpx.HTTPError as err:
            raise SnsUnreachable(f"could not {purpose} at AWS ({type(err).__name__}); try again") from None
        if response.status_code >= 500:
            raise SnsUnreachable(f"AWS answered HTTP {response.status_code} when trying to {purpose}")
        return response.status_code, bytes(body[: MAX_ANSWER_BYTES + 1])
