"""Slack: a JSON {"text": ...} POST to the company's incoming webhook. The URL is the credential, so it
never appears in a reason, a log line or the API."""

from __future__ import annotations

import httpx

from core.notifications.channels import ChannelFailed, Message
from core.notifications.slack_setting import webhook_url_refusal
from core.settings import Settings


def _escaped(text: str) -> str:
    """Slack reads <...> as links and mentions: alert text must not ping @channel or hide a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(message: Message) -> str:
    lines = [f"*{_escaped(message.subject)}*"]
    if message.body:
        lines.append(_escaped(message.body))
    lines.append(f"<{_escaped(message.link)}|Open in Alert Whisperer>")
    return "\n".join(lines)


class SlackWebhook:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def send(self, url: str, message: Message) -> None:
        # Checked again at send time: a URL stored in development must not be called from production.
        refusal = webhook_url_refusal(url, self._settings.environment)
        if refusal:
            raise ChannelFailed(f"Slack webhook refused: {refusal}")
        try:
            async with httpx.AsyncClient(timeout=self._settings.slack_timeout_s) as http:
                response = await http.post(url, json={"text": slack_text(message)})
        except httpx.HTTPError as err:
            raise ChannelFailed(f"Slack webhook unreachable: {type(err).__name__}") from None
        if response.status_code >= 300:
            raise ChannelFailed(f"Slack answered {response.status_code}: {response.text[:200]}")
