"""Where a company's webhook HMAC secret lives: encrypted in its database row, or in AWS Secrets Manager.

Both stores keep the current secret and the one before it. Whether the previous one still verifies is
decided here, once, from `Company.hmac_previous_expires_at` (the end of the rotation grace period).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from core.db.models import Company, utcnow
from core.security import SecretBox, new_hmac_secret

log = logging.getLogger(__name__)

LOCAL = "local"
AWS = "aws"
BACKENDS = (LOCAL, AWS)


class SecretStoreUnavailable(RuntimeError):
    """The secret store cannot be reached or refused the request; retrying later may help."""


class HmacSecretStore(Protocol):
    """Holds the current and the previous HMAC secret of a company; changes the company row it uses."""

    backend: str

    async def store_new(self, company: Company, secret: str) -> None: ...

    async def replace(self, company: Company, secret: str, *, keep_previous: bool) -> None: ...

    async def read(self, company: Company, *, with_previous: bool) -> tuple[str | None, str | None]: ...

    async def discard(self, company: Company) -> None: ...


class LocalSecretStore:
    """Fernet-encrypted columns of the company row, under a key derived from AW_SECRET_KEY."""

    backend = LOCAL

    def __init__(self, box: SecretBox) -> None:
        self._box = box

    async def store_new(self, company: Company, secret: str) -> None:
        company.secret_backend = self.backend
        company.hmac_secret_encrypted = self._box.encrypt(secret)
        company.hmac_previous_encrypted = None

    async def replace(self, company: Company, secret: str, *, keep_previous: bool) -> None:
        company.hmac_previous_encrypted = company.hmac_secret_encrypted if keep_previous else None
        company.hmac_secret_encrypted = self._box.encrypt(secret)

    async def read(self, company: Company, *, with_previous: bool) -> tuple[str | None, str | None]:
        current = company.hmac_secret_encrypted
        previous = company.hmac_previous_encrypted if with_previous else None
        return (
            self._box.decrypt(current) if current else None,
            self._box.decrypt(previous) if previous else None,
        )

    async def discard(self, company: Company) -> None:
        company.hmac_secret_encrypted = None
        company.hmac_previous_encrypted = None


class AwsSecretsManagerStore:
    """One Secrets Manager secret per company; its AWSPREVIOUS version is the previous HMAC secret.

    `put_secret_value` moves AWSCURRENT to the new version and AWSPREVIOUS to the one it replaces, so a
    rotation is a single call. boto3 blocks, so every call runs in a worker thread.
    """

    backend = AWS

    def __init__(self, *, region: str, endpoint_url: str | None = None, name_prefix: str = "") -> None:
        self._region = region
        self._endpoint_url = endpoint_url
        self._name_prefix = name_prefix
        self._client: Any = None
        self._client_lock = asyncio.Lock()

    def secret_name(self, company: Company) -> str:
        return f"{self._name_prefix}{company.id}/hmac"

    async def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        async with self._client_lock:
            if self._client is None:
                # A session of our own: boto3's default session is not safe to share between threads.
                self._client = await asyncio.to_thread(
                    boto3.session.Session().client,
                    "secretsmanager",
                    region_name=self._region,
                    endpoint_url=self._endpoint_url,
                )
        try:
            result: dict[str, Any] = await asyncio.to_thread(getattr(self._client, operation), **kwargs)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if operation == "get_secret_value" and code == "ResourceNotFoundException":
                return {}
            log.warning("secrets manager %s failed", operation, extra={"code": code})
            raise SecretStoreUnavailable(f"AWS Secrets Manager {operation} failed: {code}") from err
        except BotoCoreError as err:  # unreachable endpoint, no credentials, ...
            log.warning("secrets manager %s failed: %s", operation, err)
            raise SecretStoreUnavailable(f"AWS Secrets Manager {operation} failed: {err}") from err
        return result

    async def store_new(self, company: Company, secret: str) -> None:
        created = await self._call(
            "create_secret",
            Name=self.secret_name(company),
            SecretString=secret,
            Description=f"Alert Whisperer webhook HMAC secret of company {company.id}",
        )
        company.secret_backend = self.backend
        company.hmac_secret_ref = created["ARN"]
        company.hmac_secret_encrypted = None
        company.hmac_previous_encrypted = None

    async def replace(self, company: Company, secret: str, *, keep_previous: bool) -> None:
        # AWSPREVIOUS always exists after this; whether it verifies is the grace period's business.
        await self._call("put_secret_value", SecretId=self._ref(company), SecretString=secret)

    async def read(self, company: Company, *, with_previous: bool) -> tuple[str | None, str | None]:
        ref = self._ref(company)
        current = await self._call("get_secret_value", SecretId=ref, VersionStage="AWSCURRENT")
        previous = (
            await self._call("get_secret_value", SecretId=ref, VersionStage="AWSPREVIOUS")
            if with_previous
            else {}
        )
        return current.get("SecretString"), previous.get("SecretString")

    async def discard(self, company: Company) -> None:
        # Recoverable for a week, in case the company was deleted by mistake.
        await self._call("delete_secret", SecretId=self._ref(company), RecoveryWindowInDays=7)
        company.hmac_secret_ref = None

    def _ref(self, company: Company) -> str:
        if not company.hmac_secret_ref:
            raise SecretStoreUnavailable(f"company {company.id} has no Secrets Manager reference")
        return company.hmac_secret_ref


class CompanySecrets:
    """Issues, rotates and reads companies' HMAC secrets in whichever store each company uses."""

    def __init__(
        self, local: LocalSecretStore, aws: AwsSecretsManagerStore | None = None, default_backend: str = LOCAL
    ) -> None:
        if default_backend not in BACKENDS:
            raise ValueError(f"unknown HMAC secret backend {default_backend!r}; use one of {BACKENDS}")
        if default_backend == AWS and aws is None:
            raise ValueError("the aws HMAC secret backend needs an AwsSecretsManagerStore")
        self._stores: dict[str, HmacSecretStore] = {LOCAL: local}
        if aws is not None:
            self._stores[AWS] = aws
        self.default_backend = default_backend

    def store_for(self, company: Company) -> HmacSecretStore:
        try:
            return self._stores[company.secret_backend or LOCAL]
        except KeyError:
            raise SecretStoreUnavailable(
                f"company {company.id} keeps its secret in {company.secret_backend!r}, not configured here"
            ) from None

    async def issue(self, company: Company) -> str:
        """A first secret for a new company (its id must be set), in the default store."""
        secret = new_hmac_secret()
        await self._stores[self.default_backend].store_new(company, secret)
        company.hmac_previous_expires_at = None
        return secret

    async def rotate(self, company: Company, grace: timedelta, now: datetime | None = None) -> str:
        """A new current secret; the replaced one keeps verifying for `grace` (not at all when zero)."""
        secret = new_hmac_secret()
        keep_previous = grace > timedelta(0)
        await self.store_for(company).replace(company, secret, keep_previous=keep_previous)
        company.hmac_previous_expires_at = (now or utcnow()) + grace if keep_previous else None
        return secret

    async def valid_secrets(
        self, company: Company, now: datetime | None = None
    ) -> tuple[str | None, str | None]:
        """(current, previous): previous only while its grace period lasts."""
        until = company.hmac_previous_expires_at
        in_grace = until is not None and until > (now or utcnow())
        current, previous = await self.store_for(company).read(company, with_previous=in_grace)
        return current, previous if in_grace else None

    async def discard(self, company: Company) -> None:
        await self.store_for(company).discard(company)
