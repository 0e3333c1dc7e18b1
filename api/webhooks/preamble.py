"""What every webhook does before it looks at alerts: read the capped body, find the company by its key,
check the HMAC signature where one applies, take from the rate limit, and parse the body."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from fastapi import Request
from pydantic import BaseModel

from api.webhooks.auth import check_signature, company_for_key, spend_signature, take_rate
from api.webhooks.body import parse_json, read_body_capped
from core.companies.context import CompanyContext
from core.companies.directory import CompanyCredentials
from core.runtime import Services

Payload = TypeVar("Payload", bound=BaseModel)


class Hmac(Enum):
    required = "required"
    when_sent = "when_sent"  # for tools that cannot sign, but may sit behind a relay that does
    never = "never"  # the sender proves itself otherwise (SNS signs its messages)


@dataclass(frozen=True)
class Received(Generic[Payload]):
    credentials: CompanyCredentials
    payload: Payload
    body: bytes  # as sent, for digests

    @property
    def company(self) -> CompanyContext:
        return self.credentials.context


async def receive(
    request: Request,
    services: Services,
    model: type[Payload],
    *,
    api_key: str | None,
    how_to_send_key: str,
    hmac: Hmac | Callable[[CompanyContext], Hmac] = Hmac.required,
    timestamp: str | None = None,
    signature: str | None = None,
    alerts: int | None = 1,
) -> Received[Payload]:
    """`alerts`: how many to take from the rate limit before parsing; None when the route counts them
    from the payload, or must check more first, and takes them itself."""
    # A signature is spent on the X-Delivery-ID header as sent. A delivery id that a route derives
    # when the header is absent comes from the signed body, so a replay cannot change it either.
    delivery_id = request.headers.get("x-delivery-id")
    body = await read_body_capped(request, services.settings.webhook_max_body_bytes)
    credentials = await company_for_key(services, api_key, how_to_send_key)
    rule = hmac(credentials.context) if callable(hmac) else hmac
    verified = None
    if rule is Hmac.required or (rule is Hmac.when_sent and (signature or timestamp)):
        verified = check_signature(
            services,
            credentials,
            timestamp=timestamp,
            signature=signature,
            delivery_id=delivery_id,
            body=body,
        )
    if alerts is not None:
        take_rate(services, credentials.context.id, alerts)
    payload = parse_json(model, body)
    # Spent last, so a request refused for its rate or its body can be retried under its delivery id.
    if verified is not None:
        await spend_signature(services, credentials.context.id, verified, delivery_id)
    return Received(credentials, payload, body)
