"""A boto3 session in a company's AWS account, from the access it lent us (core/companies/aws_access.py).

With a role: AssumeRole with the company's external id, from the stored keys if any, else from the worker's
own credentials (boto3's default chain). Without a role: the stored keys, or boto3's default chain. boto3
honours AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL_STS by itself, which is how tests point it at stand-ins.
Everything here blocks: callers run it in a thread.
"""

from __future__ import annotations

import logging

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from core.companies.aws_access import AwsAccess
from core.remediation.errors import non_retryable, raise_classified

log = logging.getLogger(__name__)

# The shortest a role allows; an executor's attempt that outlives it is retried with fresh credentials.
ASSUMED_ROLE_SECONDS = 3600
ASSUME_ROLE_DENIED = (
    "the role's trust policy must allow our AWS principal to call sts:AssumeRole with condition "
    "sts:ExternalId equal to the company's external id (docs/executors.md)"
)


def role_session_name(company_id: str) -> str:
    # Shown in the client's CloudTrail: which MSP tool acted, for which of its companies.
    return f"alert-whisperer-{company_id}"[:64]


def company_session(company_id: str, access: AwsAccess, default_region: str) -> boto3.session.Session:
    """A session acting in the company's account; raises what `errors.classify` makes of AWS's refusals."""
    region = access.region or default_region
    base = boto3.session.Session(
        aws_access_key_id=access.access_key_id,
        aws_secret_access_key=access.secret_access_key,
        region_name=region,
    )
    if not access.role_arn:
        return base
    try:
        answer = base.client("sts").assume_role(
            RoleArn=access.role_arn,
            RoleSessionName=role_session_name(company_id),
            ExternalId=access.external_id or "",
            DurationSeconds=ASSUMED_ROLE_SECONDS,
        )
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        log.warning("assume role failed", extra={"company_id": company_id, "code": code})
        if code in ("AccessDenied", "AccessDeniedException"):
            raise non_retryable(
                "AwsAssumeRoleDenied", f"sts:AssumeRole on {access.role_arn} was denied; {ASSUME_ROLE_DENIED}"
            ) from err
        raise_classified(err, f"sts:AssumeRole on {access.role_arn}")
    except BotoCoreError as err:
        raise_classified(err, f"sts:AssumeRole on {access.role_arn}")
    credentials = answer["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
