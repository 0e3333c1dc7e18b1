"""HMAC secrets in AWS Secrets Manager (moto's server standing in), issued and rotated through the API."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from core.accounts.roles import Role
from core.companies.secrets import CompanySecrets, LocalSecretStore
from core.companies.service import create_company
from core.db.models import Company
from core.settings import Settings
from tests.support.aws import moto_server
from tests.support.signin import bearer
from tests.support.stack import Stack, TenantCreds, alert_body


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def settings(settings: Settings, moto_url: str) -> Settings:
    return settings.model_copy(
        update={
            "hmac_secret_backend": "aws",
            "aws_endpoint_url": moto_url,
            "aws_secret_prefix": f"aw-test-{uuid.uuid4().hex[:6]}/",
        }
    )


async def secrets_manager(stack: Stack, operation: str, **kwargs: Any) -> dict[str, Any]:
    client = boto3.client(
        "secretsmanager", region_name=stack.settings.aws_region, endpoint_url=stack.settings.aws_endpoint_url
    )
    result: dict[str, Any] = await asyncio.to_thread(getattr(client, operation), **kwargs)
    return result


async def stored(stack: Stack, company_id: str) -> Company:
    async with stack.services.sessions() as session:
        company = await session.get(Company, company_id)
    assert company is not None
    return company


async def accepted(stack: Stack, creds: TenantCreds) -> bool:
    response = await stack.post_alert(creds, alert_body())
    assert response.status_code in (200, 202, 401), response.text
    return response.status_code != 401


async def rotate(stack: Stack, admin: dict[str, str], company_id: str, grace_hours: int) -> str:
    response = await stack.http.post(
        f"{stack.url}/api/companies/{company_id}/hmac-secret/rotate",
        json={"grace_hours": grace_hours},
        headers=bearer(admin["access_token"]),
    )
    assert response.status_code == 200, response.text
    secret: str = response.json()["hmac_secret"]
    return secret


async def test_a_new_company_keeps_its_hmac_secret_in_secrets_manager(stack: Stack) -> None:
    admin = await stack.user(Role.msp_admin, [])
    response = await stack.http.post(
        f"{stack.url}/api/companies", json={"name": "Cloudy"}, headers=bearer(admin["access_token"])
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret_backend"] == "aws"
    company = await stored(stack, created["id"])
    assert company.hmac_secret_encrypted is None and company.hmac_previous_encrypted is None
    assert company.hmac_secret_ref and company.hmac_secret_ref.startswith("arn:aws:secretsmanager:")
    assert f"{stack.settings.aws_secret_prefix}{company.id}/hmac" in company.hmac_secret_ref
    current = await secrets_manager(stack, "get_secret_value", SecretId=company.hmac_secret_ref)
    assert current["SecretString"] == created["hmac_secret"]
    assert await accepted(stack, TenantCreds(created["id"], created["api_key"], created["hmac_secret"]))


async def test_rotation_in_secrets_manager_keeps_the_previous_secret_during_grace(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    assert await accepted(stack, acme)
    second = await rotate(stack, admin, acme.id, grace_hours=24)
    ref = (await stored(stack, acme.id)).hmac_secret_ref
    previous = await secrets_manager(stack, "get_secret_value", SecretId=ref, VersionStage="AWSPREVIOUS")
    assert previous["SecretString"] == acme.hmac_secret
    assert await accepted(stack, acme)
    assert await accepted(stack, TenantCreds(acme.id, acme.api_key, second))

    third = await rotate(stack, admin, acme.id, grace_hours=0)
    assert not await accepted(stack, acme)
    assert not await accepted(stack, TenantCreds(acme.id, acme.api_key, second))
    assert await accepted(stack, TenantCreds(acme.id, acme.api_key, third))
    current = await secrets_manager(stack, "get_secret_value", SecretId=ref)
    assert current["SecretString"] == third


async def test_deleting_a_company_schedules_its_secret_for_deletion(stack: Stack) -> None:
    acme = await stack.company("Acme")
    ref = (await stored(stack, acme.id)).hmac_secret_ref
    admin = await stack.user(Role.msp_admin, [])
    deleted = await stack.http.delete(
        f"{stack.url}/api/companies/{acme.id}", headers=bearer(admin["access_token"])
    )
    assert deleted.status_code == 204, deleted.text
    described = await secrets_manager(stack, "describe_secret", SecretId=ref)
    assert described.get("DeletedDate") is not None


async def test_local_companies_keep_working_when_aws_becomes_the_default(stack: Stack) -> None:
    local_only = CompanySecrets(LocalSecretStore(stack.services.box))
    async with stack.services.sessions() as session, session.begin():
        issued = await create_company(session, local_only, f"Old {uuid.uuid4().hex[:6]}")
    creds = TenantCreds(issued.id, issued.api_key, issued.hmac_secret)
    assert (await stored(stack, issued.id)).secret_backend == "local"
    assert await accepted(stack, creds)
    admin = await stack.user(Role.msp_admin, [])
    new_secret = await rotate(stack, admin, issued.id, grace_hours=1)
    assert (await stored(stack, issued.id)).secret_backend == "local"
    assert await accepted(stack, creds)
    assert await accepted(stack, TenantCreds(issued.id, issued.api_key, new_secret))


async def test_an_unreachable_secret_answers_503_and_changes_nothing(stack: Stack) -> None:
    acme = await stack.company("Acme")
    company = await stored(stack, acme.id)
    await secrets_manager(
        stack, "delete_secret", SecretId=company.hmac_secret_ref, ForceDeleteWithoutRecovery=True
    )
    admin = await stack.user(Role.msp_admin, [])
    response = await stack.http.post(
        f"{stack.url}/api/companies/{acme.id}/hmac-secret/rotate", headers=bearer(admin["access_token"])
    )
    assert response.status_code == 503
    assert "AWS Secrets Manager" in response.json()["detail"]
    assert (await stored(stack, acme.id)).hmac_previous_expires_at is None
