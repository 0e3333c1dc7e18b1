"""How runbook executors reach a company's AWS account: a role to assume with an external id, and/or
access keys; the writes and their audit are core's, `core/companies/aws_access.py`. Keys go in, never out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from api.deps import ServicesDep, SessionDep
from api.permissions import CanManageCredentials
from api.tenancy import ScopedCompany
from core.companies import aws_access
from core.companies.aws_access import ACCESS_KEY_ID, EXTERNAL_ID, REGION, ROLE_ARN, AwsAccess

router = APIRouter(prefix="/api/companies", tags=["companies"])


class AwsAccessPublic(BaseModel):
    role_arn: str | None = None
    external_id: str | None = None
    region: str | None = None
    has_access_keys: bool = False


class AwsAccessUpdate(BaseModel):
    """The whole setting: whatever is left out is removed (keys too)."""

    model_config = ConfigDict(extra="forbid")

    role_arn: (
        Annotated[
            str,
            Field(
                max_length=2048,
                pattern=ROLE_ARN,
                description="a role in the company's account, arn:aws:iam::<12 digits>:role/<name>",
            ),
        ]
        | None
    ) = None
    external_id: (
        Annotated[
            str,
            Field(pattern=EXTERNAL_ID, description="required by the role's trust policy (sts:ExternalId)"),
        ]
        | None
    ) = None
    region: (
        Annotated[str, Field(max_length=40, pattern=REGION, description="default: AW_AWS_REGION")] | None
    ) = None
    access_key_id: Annotated[str, Field(pattern=ACCESS_KEY_ID)] | None = None
    secret_access_key: Annotated[SecretStr, Field(min_length=1, max_length=256)] | None = None


@router.get("/{company_id}/aws-access", response_model=AwsAccessPublic)
async def get_aws_access(principal: CanManageCredentials, company: ScopedCompany) -> AwsAccessPublic:
    """Never the keys: only whether there are some."""
    return AwsAccessPublic.model_validate(aws_access.described(company))


@router.put("/{company_id}/aws-access", response_model=AwsAccessPublic)
async def put_aws_access(
    principal: CanManageCredentials,
    company: ScopedCompany,
    body: AwsAccessUpdate,
    session: SessionDep,
    services: ServicesDep,
) -> AwsAccessPublic:
    """Replaces the company's AWS access. A role needs its external id; keys come as a pair."""
    access = AwsAccess(
        role_arn=body.role_arn,
        external_id=body.external_id,
        region=body.region,
        access_key_id=body.access_key_id,
        secret_access_key=body.secret_access_key.get_secret_value() if body.secret_access_key else None,
    )
    await aws_access.set_aws_access(
        session, services.box, services.directory, principal.actor, company, access
    )
    return AwsAccessPublic.model_validate(aws_access.described(company))


@router.delete("/{company_id}/aws-access", status_code=204)
async def delete_aws_access(
    principal: CanManageCredentials, company: ScopedCompany, session: SessionDep, services: ServicesDep
) -> Response:
    """Executors use the worker's own AWS credentials for this company from now on."""
    await aws_access.clear_aws_access(session, services.directory, principal.actor, company)
    return Response(status_code=204)
