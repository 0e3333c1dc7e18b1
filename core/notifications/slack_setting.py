"""A company's Slack incoming webhook for notifications, set on an actor's behalf.

The URL is the credential (whoever has it can post to the channel): it is encrypted with the same
`SecretBox` as the local HMAC secret, never returned, never audited. Outside development and test only
`https://hooks.slack.com/...` is accepted, so the worker cannot be made to call another host.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.actor import Actor
from core.companies.service import audit_change
from core.db.models import Company
from core.errors import NotificationSettingInvalid
from core.security import SecretBox
from core.settings import LENIENT_ENVIRONMENTS

SLACK_HOST = "hooks.slack.com"
MAX_URL_LENGTH = 2000


def webhook_url_refusal(url: str, environment: str) -> str | None:
    """Why `url` cannot be the Slack webhook in `environment`, or None when it can."""
    if len(url) > MAX_URL_LENGTH:
        return f"longer than {MAX_URL_LENGTH} characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    if environment in LENIENT_ENVIRONMENTS:
        return None
    if parts.scheme != "https" or parts.hostname != SLACK_HOST or port not in (None, 443):
        return f"must start with https://{SLACK_HOST}/"
    if parts.path.strip("/") == "":
        return "names no webhook (the path is empty)"
    return None


def webhook_url_of(company: Company, box: SecretBox) -> str | None:
    token = company.slack_webhook_encrypted
    return box.decrypt(token) if token else None


def described(company: Company, box: SecretBox) -> dict[str, object]:
    """What may be shown: whether a webhook is set, and its host."""
    url = webhook_url_of(company, box)
    return {"configured": url is not None, "host": urlsplit(url).hostname if url else None}


async def set_slack_webhook(
    session: AsyncSession, box: SecretBox, environment: str, actor: Actor, company: Company, url: str
) -> None:
    refusal = webhook_url_refusal(url, environment)
    if refusal:
        raise NotificationSettingInvalid(f"webhook_url {refusal}")
    before = described(company, box)
    company.slack_webhook_encrypted = box.encrypt(url)
    after = {**described(company, box), "replaced": before["configured"]}
    await audit_change(session, actor, "company.slack.set", company.id, before=before, after=after)
    await session.commit()


async def clear_slack_webhook(session: AsyncSession, box: SecretBox, actor: Actor, company: Company) -> None:
    before = described(company, box)
    company.slack_webhook_encrypted = None
    await audit_change(session, actor, "company.slack.delete", company.id, before=before)
    await session.commit()
