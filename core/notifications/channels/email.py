"""Email over SMTP (aiosmtplib): a plain-text message with the link, from AW_SMTP_FROM."""

from __future__ import annotations

import logging
from email.message import EmailMessage

import aiosmtplib

from core.notifications.channels import ChannelFailed, Message
from core.settings import Settings

log = logging.getLogger(__name__)


class SmtpEmail:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def unavailable_reason(self) -> str | None:
        return None if self._settings.smtp_host else "email is off: no SMTP host (AW_SMTP_HOST)"

    def compose(self, to: str, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self._settings.smtp_from
        email["To"] = to
        email["Subject"] = message.subject
        email.set_content(
            f"{message.body}\n\nOpen: {message.link}\n" if message.body else f"{message.link}\n"
        )
        return email

    async def send(self, to: str, message: Message) -> None:
        settings = self._settings
        if not settings.smtp_host:
            raise ChannelFailed(self.unavailable_reason())
        try:
            await aiosmtplib.send(
                self.compose(to, message),
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=settings.smtp_password,
                start_tls=settings.smtp_starttls,
                timeout=settings.smtp_timeout_s,
            )
        except (aiosmtplib.SMTPException, OSError) as err:
            log.warning("smtp send failed: %s", err, extra={"smtp_host": settings.smtp_host})
            raise ChannelFailed(f"SMTP {settings.smtp_host}:{settings.smtp_port}: {err}") from err
