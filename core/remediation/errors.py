"""Which executor failures are worth retrying.

Transient ones (throttling, AWS having a bad moment, the network, SSM not yet knowing a command it just
accepted, temporary credentials running out) are raised as they are: the activity fails, and Temporal
retries it with back-off. Everything that retrying cannot fix becomes a non-retryable `ApplicationError`
whose message says what to change; the workflow records it as the step's error.
"""

from __future__ import annotations

from typing import NoReturn

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from temporalio.exceptions import ApplicationError

THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "PriorRequestNotComplete",
    }
)
SERVER_SIDE = frozenset(
    {
        "InternalServerError",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)
# SSM answers this for a command it accepted a moment ago; temporary credentials that ran out during a
# long poll are assumed afresh by the next attempt.
NOT_YET = frozenset({"InvocationDoesNotExist", "ExpiredToken", "ExpiredTokenException", "RequestExpired"})

ACCESS_DENIED = (
    "AwsAccessDenied",
    "the IAM role or keys lack permission: allow ssm:SendCommand on document AWS-RunShellScript and the "
    "instances, and ssm:GetCommandInvocation (docs/executors.md)",
)
UNKNOWN_KEYS = (
    "AwsInvalidCredentials",
    "AWS does not know these access keys: store valid ones (PUT /api/companies/{id}/aws-access)",
)
# Code -> (type reported to the workflow, what to fix).
PERMANENT: dict[str, tuple[str, str]] = {
    "AccessDenied": ACCESS_DENIED,
    "AccessDeniedException": ACCESS_DENIED,
    "UnrecognizedClientException": UNKNOWN_KEYS,
    "InvalidClientTokenId": UNKNOWN_KEYS,
    "SignatureDoesNotMatch": (
        "AwsInvalidCredentials",
        "the secret access key does not match its key id: store the pair again",
    ),
    "InvalidInstanceId": (
        "SsmInvalidInstance",
        "the instances are not managed by SSM in this account and region (agent not running, no instance "
        "profile with AmazonSSMManagedInstanceCore, or wrong region): fix the asset's instance ids or the "
        "company's region",
    ),
    "InvalidDocument": ("SsmInvalidDocument", "the SSM document AWS-RunShellScript is not available here"),
    "InvalidParameters": ("SsmInvalidParameters", "SSM refused the command's parameters"),
    "ValidationException": ("AwsValidation", "AWS refused the request as invalid"),
    "UnsupportedPlatformType": (
        "SsmUnsupportedPlatform",
        "AWS-RunShellScript runs on Linux and macOS instances only",
    ),
    "InvalidRole": ("SsmInvalidRole", "SSM refused the service role"),
}


def non_retryable(kind: str, message: str) -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


def classify(err: Exception, doing: str) -> Exception:
    """What to raise for `err`, which happened while `doing` (e.g. "ssm:SendCommand"): the error itself when
    a retry may succeed, otherwise a non-retryable `ApplicationError` saying what to fix."""
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        detail = str(error.get("Message", "")) or code
        if code in THROTTLING or code in SERVER_SIDE or code in NOT_YET or status >= 500 or status == 429:
            return err
        kind, fix = PERMANENT.get(code, ("AwsRequestRefused", "AWS refused the request"))
        return non_retryable(kind, f"{doing} failed ({code}: {detail}); {fix}")
    if isinstance(
        err, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)
    ):
        return err
    if isinstance(err, (NoCredentialsError, PartialCredentialsError)):
        return non_retryable(
            "AwsCredentialsMissing",
            f"{doing}: no AWS credentials; configure the company's AWS access (a role to assume, or keys) or "
            "give the worker credentials",
        )
    if isinstance(err, NoRegionError):
        return non_retryable(
            "AwsRegionMissing", f"{doing}: no AWS region; set the company's region or AW_AWS_REGION"
        )
    if isinstance(err, ParamValidationError):
        return non_retryable("AwsValidation", f"{doing}: {err}")
    if isinstance(err, BotoCoreError):
        return err
    return err


def raise_classified(err: Exception, doing: str) -> NoReturn:
    """Raises `err` again when retrying may help, else what `classify` makes of it (chained to `err`)."""
    classified = classify(err, doing)
    if classified is err:
        raise err
    raise classified from err
