"""The channels a notification goes out on, one module each, behind the same small shape: a channel
takes a `Message` and a target, and raises `ChannelFailed` with a reason a person can act on."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from workflows.notifications.types import NotifyRequest


class ChannelFailed(Exception):
    """The channel could not deliver; the message says why (never a secret such as a webhook URL)."""


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    link: str
    severity: str
    kind: str

    @classmethod
    def of(cls, req: NotifyRequest, public_url: str) -> Message:
        # Titles carry alert text from outside: no line breaks may reach an email header.
        title = " ".join(req.title.split())
        return cls(
            subject=f"[{req.severity.value.upper()}] {title}",
            body=req.body,
            link=absolute_link(req.link, req.incident_id, public_url),
            severity=req.severity.value,
            kind=req.kind.value,
        )


def absolute_link(link: str | None, incident_id: str, public_url: str) -> str:
    """`link` as given when absolute, else under AW_PUBLIC_URL; none given: the incident's page."""
    if link and link.startswith(("https://", "http://")):
        return link
    path = link or f"/incidents/{quote(incident_id, safe='')}"
    return f"{public_url.rstrip('/')}/{path.lstrip('/')}"
