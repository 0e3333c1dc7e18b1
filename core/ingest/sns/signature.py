"""Is an SNS message really from Amazon SNS: trusted URLs, fresh timestamp, valid certificate, signature.

https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from core.ingest.sns.message import SnsMessage, UnsignableMessage, string_to_sign

# SNS's own endpoints, in every partition that signs with a certificate at an SNS URL.
SNS_HOST = re.compile(r"sns\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com(?:\.cn)?")
PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")
CERTIFICATE_PATH = re.compile(r"/[A-Za-z0-9_-]+\.pem")
HASH_OF_VERSION: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}


class SnsRejected(Exception):
    """Not provably from Amazon SNS; the text says why."""


def sns_url_problem(url: str, what: str) -> str | None:
    """Why `url` is not an https URL on an SNS endpoint (so we will not fetch it), or None if it is."""
    if not PRINTABLE_ASCII.fullmatch(url):
        # urlsplit drops tabs and newlines that an HTTP client might not: judge exactly what is fetched.
        return f"{what} must be printable ASCII without spaces"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"{what} is not a valid URL"
    if parts.scheme != "https":
        return f"{what} must be https, not {parts.scheme or 'schemeless'}"
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        return f"{what} must not carry a user name or password"
    if port is not None and port != 443:
        return f"{what} must use the default https port"
    host = parts.netloc.split(":", 1)[0]
    if not SNS_HOST.fullmatch(host):
        return f"{what} host {host!r} is not an Amazon SNS endpoint (sns.<region>.amazonaws.com)"
    return None


def signing_cert_url_problem(url: str) -> str | None:
    problem = sns_url_problem(url, "SigningCertURL")
    if problem is None:
        parts = urlsplit(url)
        if not CERTIFICATE_PATH.fullmatch(parts.path) or parts.query or parts.fragment:
            problem = "SigningCertURL must name a .pem file at the root of the SNS endpoint"
    return problem


def check_timestamp(message: SnsMessage, now: datetime, max_age: timedelta, max_ahead: timedelta) -> None:
    try:
        sent = datetime.fromisoformat(message.Timestamp)
    except ValueError:
        raise SnsRejected(f"Timestamp {message.Timestamp!r} is not an ISO 8601 time") from None
    if sent.tzinfo is None:
        raise SnsRejected("Timestamp must carry its time zone (SNS sends UTC, ending in Z)")
    if now - sent > max_age:
        raise SnsRejected(
            f"Timestamp {message.Timestamp} is more than {int(max_age.total_seconds())} s old; "
            "a message is accepted only that long after SNS sent it"
        )
    if sent - now > max_ahead:
        raise SnsRejected(f"Timestamp {message.Timestamp} is in the future by the server's clock")


def parse_certificate(pem: bytes) -> x509.Certificate:
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise SnsRejected("the signing certificate is not a PEM X.509 certificate") from None
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise SnsRejected("the signing certificate does not hold an RSA key")
    return certificate


def check_certificate_current(certificate: x509.Certificate, now: datetime) -> None:
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise SnsRejected(
            "the signing certificate is not valid now (valid "
            f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M} to "
            f"{certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC)"
        )


def check_signature_version(message: SnsMessage) -> type[hashes.HashAlgorithm]:
    algorithm = HASH_OF_VERSION.get(message.SignatureVersion)
    if algorithm is None:
        raise SnsRejected(f"SignatureVersion {message.SignatureVersion!r} is not 1 (SHA1) or 2 (SHA256)")
    return algorithm


def check_signature(message: SnsMessage, certificate: x509.Certificate) -> None:
    algorithm = check_signature_version(message)
    try:
        signature = base64.b64decode(message.Signature.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise SnsRejected("Signature is not base64") from None
    try:
        signed = string_to_sign(message)
    except UnsignableMessage as err:
        raise SnsRejected(str(err)) from None
    key = certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey)  # parse_certificate refused any other
    try:
        key.verify(signature, signed, padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        raise SnsRejected("Signature does not match the message (forged or altered)") from None
