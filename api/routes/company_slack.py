"""A company's Slack incoming webhook for notifications; the write and its audit are core's,
`core/notifications/slack_setting.py`. The URL goes in, never out: only whether one is set, and its host."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from api.deps import ServicesDep, SessionDep
from api.permissions import CanManageCredentials
from api.tenancy import ScopedCompany
from core.notifications import slack_setting

router = APIRouter(prefix="/api/companies", tags=["companies"])


class SlackPublic(BaseModel):
    configured: bool
    host: str | None = None


class SlackUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    webhook_url: Annotated[
        SecretStr,
        Field(
            min_length=1,
            max_length=slack_setting.MAX_URL_LENGTH,
            description="https://hooks.slack.com/services/... (any http(s) URL in development and test)",
        ),
    ]


@router.get("/{company_id}/slack", response_model=SlackPublic)
async def get_slack(
    principal: CanManageCredentials, company: ScopedCompany, services: ServicesDep
) -> SlackPublic:
    return SlackPublic.model_validate(slack_setting.described(company, services.box))


@router.put("/{company_id}/slack", response_model=SlackPublic)
async def put_slack(
    principal: CanManageCredentials,
    company: ScopedCompany,
    body: SlackUpdate,
    session: SessionDep,
    services: ServicesDep,
) -> SlackPublic:
    """Replaces the company's webhook. Outside development only https://hooks.slack.com/ is accepted."""
    await slack_setting.set_slack_webhook(
        session,
        services.box,
        services.settings.environment,
        principal.actor,
        company,
        body.webhook_url.get_secret_value(),
    )
    return SlackPublic.model_validate(slack_setting.described(company, services.box))


@router.delete("/{company_id}/slack", status_code=204)
async def delete_slack(
    principal: CanManageCredentials, company: ScopedCompany, session: SessionDep, services: ServicesDep
) -> Response:
    """Notifications no longer go to Slack for this company."""
    await slack_setting.clear_slack_webhook(session, services.box, principal.actor, company)
    return Response(status_code=204)
