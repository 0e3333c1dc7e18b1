"""Per-company settings of the native monitoring integrations (no secrets: those are the company's)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from workflows.types import Severity

LabelName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
]
TopicArn = Annotated[
    str,
    StringConstraints(
        max_length=256, pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$"
    ),
]


class AlertmanagerSettings(BaseModel):
    """Which Prometheus labels name the asset, the severity and the signature of an alert."""

    model_config = ConfigDict(extra="forbid")

    asset_label: LabelName = "instance"
    severity_label: LabelName = "severity"
    signature_label: LabelName = "alertname"


class DatadogSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Datadog cannot compute our HMAC itself; require it when a relay in front of Datadog signs.
    require_signature: bool = False


class CloudWatchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Subscriptions are confirmed, and notifications taken, only from these SNS topics.
    allowed_topic_arns: list[TopicArn] = Field(default_factory=list, max_length=100)
    # CloudWatch alarms carry no severity; an `AlarmDescription` containing `severity=<level>` overrides it.
    default_severity: Severity = Severity.high


class IntegrationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alertmanager: AlertmanagerSettings = Field(default_factory=AlertmanagerSettings)
    datadog: DatadogSettings = Field(default_factory=DatadogSettings)
    cloudwatch: CloudWatchSettings = Field(default_factory=CloudWatchSettings)

    @classmethod
    def stored(cls, raw: dict | None) -> IntegrationSettings:
        """Read what the database holds; settings an older or newer version wrote are ignored."""
        return cls.model_validate(
            {k: v for k, v in (raw or {}).items() if k in cls.model_fields}, strict=False
        )
