"""How runbook executors reach a company's AWS account, set on an actor's behalf.

Either a role in the client's account that we assume with an external id (the usual MSP set-up), or access
keys, or both (the keys then only serve to assume the role). The secret access key is encrypted with the
same `SecretBox` as the local HMAC secret, never returned and never audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.actor import Actor
from core.companies.directory import CompanyDirectory
from core.companies.service import audit_change, commit_credentials_change
from core.db.models import Company
from core.errors import AwsAccessInvalid
from core.security import SecretBox

ROLE_ARN = r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:role/[A-Za-z0-9_+=,.@/-]{1,512}$"
EXTERNAL_ID = r"^[A-Za-z0-9_+=,.@:/-]{2,1224}$"
REGION = r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$"
ACCESS_KEY_ID = r"^[A-Z0-9]{16,128}$"


@dataclass(frozen=True)
class AwsAccess:
    """A company's AWS access in clear text, for the executor only."""

    role_arn: str | None = None
    external_id: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None

    def check(self) -> None:
        """Raises `AwsAccessInvalid` unless the settings fit together (each value's format is the API's)."""
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise AwsAccessInvalid("give both access_key_id and secret_access_key, or neither")
        if self.role_arn and not self.external_id:
            raise AwsAccessInvalid("a role to assume needs the external id its trust policy requires")
        if self.external_id and not self.role_arn:
            raise AwsAccessInvalid("an external id is only used with a role to assume (role_arn)")
        for value, pattern, name in (
            (self.role_arn, ROLE_ARN, "role_arn"),
            (self.external_id, EXTERNAL_ID, "external_id"),
            (self.region, REGION, "region"),
            (self.access_key_id, ACCESS_KEY_ID, "access_key_id"),
        ):
            if value is not None and not re.fullmatch(pattern, value):
                raise AwsAccessInvalid(f"{name} is not in the expected format")

    @property
    def has_access_keys(self) -> bool:
        return self.access_key_id is not None

    def described(self) -> dict[str, object]:
        """What may be shown and audited: never the keys."""
        return {
            "role_arn": self.role_arn,
            "external_id": self.external_id,
            "region": self.region,
            "has_access_keys": self.has_access_keys,
        }


def aws_access_of(company: Company, box: SecretBox) -> AwsAccess:
    key_id, secret = company.aws_access_key_id_encrypted, company.aws_secret_access_key_encrypted
    return AwsAccess(
        role_arn=company.aws_role_arn,
        external_id=company.aws_external_id,
        region=company.aws_region,
        access_key_id=box.decrypt(key_id) if key_id else None,
        secret_access_key=box.decrypt(secret) if secret else None,
    )


def described(company: Company) -> dict[str, object]:
    """The company's AWS access as shown and audited (no decryption needed)."""
    return {
        "role_arn": company.aws_role_arn,
        "external_id": company.aws_external_id,
        "region": company.aws_region,
        "has_access_keys": company.aws_access_key_id_encrypted is not None,
    }


async def set_aws_access(
    session: AsyncSession,
    box: SecretBox,
    directory: CompanyDirectory,
    actor: Actor,
    company: Company,
    access: AwsAccess,
) -> None:
    """Replaces the company's AWS access with `access` (keys left out are removed), audited without keys."""
    access.check()
    before = described(company)
    company.aws_role_arn = access.role_arn
    company.aws_external_id = access.external_id
    company.aws_region = access.region
    company.aws_access_key_id_encrypted = box.encrypt(access.access_key_id) if access.access_key_id else None
    company.aws_secret_access_key_encrypted = (
        box.encrypt(access.secret_access_key) if access.secret_access_key else None
    )
    after = access.described()
    # New keys are a change even when the shown settings are not: say so without naming them.
    after["access_keys_replaced"] = access.has_access_keys
    await audit_change(session, actor, "company.aws_access.set", company.id, before=before, after=after)
    await commit_credentials_change(session, directory)


async def clear_aws_access(
    session: AsyncSession, directory: CompanyDirectory, actor: Actor, company: Company
) -> None:
    """Executors fall back to the worker's own AWS credentials for this company."""
    before = described(company)
    company.aws_role_arn = None
    company.aws_external_id = None
    company.aws_region = None
    company.aws_access_key_id_encrypted = None
    company.aws_secret_access_key_encrypted = None
    await audit_change(session, actor, "company.aws_access.delete", company.id, before=before)
    await commit_credentials_change(session, directory)
