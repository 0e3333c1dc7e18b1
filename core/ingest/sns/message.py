"""The JSON document Amazon SNS POSTs to an HTTP(S) subscription, and the string AWS signs in it.

Formats: https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

# Which values the signature covers, in the order AWS writes them into the string to sign.
NOTIFICATION_SIGNED = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_SIGNED = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


class SnsMessageType(StrEnum):
    notification = "Notification"
    subscription_confirmation = "SubscriptionConfirmation"
    unsubscribe_confirmation = "UnsubscribeConfirmation"


class SnsMessage(BaseModel):
    """What every SNS message carries; the field names are AWS's."""

    # SNS adds fields over time (MessageAttributes, UnsubscribeURL, ...); none of them is signed.
    model_config = ConfigDict(extra="allow", strict=True)

    Type: SnsMessageType
    MessageId: str = Field(min_length=1, max_length=100)
    TopicArn: str = Field(min_length=1, max_length=300)
    Message: str
    Timestamp: str = Field(min_length=1, max_length=40)
    SignatureVersion: str = Field(max_length=10)
    Signature: str = Field(max_length=4096)
    SigningCertURL: str = Field(max_length=2048)
    Subject: str | None = Field(
        default=None, description="Notifications only, and only when published with one"
    )
    SubscribeURL: str | None = Field(default=None, max_length=4096, description="(Un)subscribe confirmations")
    Token: str | None = Field(default=None, max_length=4096, description="(Un)subscribe confirmations")


class UnsignableMessage(ValueError):
    """A message whose string to sign cannot be built, so no signature can match it."""


def string_to_sign(message: SnsMessage) -> bytes:
    """Each signed field as its name, a newline, its (JSON-decoded) value and a newline.

    Notifications leave Subject out when they have none; confirmations sign SubscribeURL and Token."""
    notification = message.Type is SnsMessageType.notification
    names = NOTIFICATION_SIGNED if notification else CONFIRMATION_SIGNED
    lines: list[str] = []
    for name in names:
        value = message.Type.value if name == "Type" else getattr(message, name)
        if value is None:
            if name == "Subject":
                continue
            raise UnsignableMessage(f"a {message.Type.value} message must carry {name}")
        lines.append(f"{name}\n{value}\n")
    try:
        return "".join(lines).encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (\ud800 in the JSON) has no UTF-8 form; AWS never sends one.
        raise UnsignableMessage("a signed field holds text with no UTF-8 form (a lone surrogate)") from None
