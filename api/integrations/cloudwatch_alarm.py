"""A CloudWatch alarm state change, as SNS carries it in `Message`, mapped to our alert.

Format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
(the JSON an alarm action publishes to its SNS topic). Mapping: docs/integrations/cloudwatch-sns.md.
"""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.webhooks.acceptance import MAX_MESSAGE, MAX_TEXT
from core.companies.integration_settings import CloudWatchSettings
from workflows.types import AlertStatus, Severity

TOOL_SOURCE = "cloudwatch"
MAX_FINGERPRINT = MAX_TEXT
MAX_ASSET = MAX_TEXT
# Dimensions that name the resource itself; when an alarm has several dimensions, these name the asset
# before any other (an ALB target group alarm has TargetGroup and LoadBalancer: the balancer is the asset).
RESOURCE_DIMENSIONS = (
    "InstanceId",
    "DBInstanceIdentifier",
    "DBClusterIdentifier",
    "LoadBalancer",
    "LoadBalancerName",
    "FunctionName",
    "QueueName",
    "TableName",
    "ClusterName",
    "ServiceName",
    "AutoScalingGroupName",
    "CacheClusterId",
    "BucketName",
    "DomainName",
    "VolumeId",
)
SEVERITY_IN_DESCRIPTION = re.compile(r"\bseverity\s*=\s*(low|medium|high|critical)\b", re.IGNORECASE)


class AlarmState(StrEnum):
    alarm = "ALARM"
    ok = "OK"
    insufficient_data = "INSUFFICIENT_DATA"


class Dimension(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    value: str


class AlarmTrigger(BaseModel):
    """Absent for composite alarms; metric-math alarms carry `Metrics` instead of a metric name."""

    model_config = ConfigDict(extra="allow")

    MetricName: str | None = None
    Namespace: str | None = None
    Dimensions: list[Dimension] = Field(default_factory=list, max_length=30)


class CloudWatchAlarm(BaseModel):
    model_config = ConfigDict(extra="allow")

    AlarmName: str = Field(min_length=1, max_length=255)
    NewStateValue: AlarmState
    StateChangeTime: str = Field(min_length=1, max_length=40)
    AlarmDescription: str | None = None
    AWSAccountId: str | None = None
    NewStateReason: str | None = None
    Region: str | None = None
    AlarmArn: str | None = None
    OldStateValue: str | None = None
    Trigger: AlarmTrigger | None = None


def asset_of(alarm: CloudWatchAlarm) -> str:
    dimensions = alarm.Trigger.Dimensions if alarm.Trigger else []
    by_name = {d.name: d.value for d in dimensions if d.value.strip()}
    preferred = (by_name[name] for name in RESOURCE_DIMENSIONS if name in by_name)
    # Dimension values may be up to 1024 characters; our asset names stop at 255.
    return next(preferred, next(iter(by_name.values()), alarm.AlarmName))[:MAX_ASSET]


def severity_of(alarm: CloudWatchAlarm, settings: CloudWatchSettings) -> Severity:
    found = SEVERITY_IN_DESCRIPTION.search(alarm.AlarmDescription or "")
    return Severity(found.group(1).lower()) if found else settings.default_severity


def fingerprint_of(alarm: CloudWatchAlarm) -> str:
    """One alarm's series: the same for its ALARM and its OK, whatever the dimensions' values."""
    identity = alarm.AlarmArn or f"{alarm.AWSAccountId}:{alarm.Region}:alarm:{alarm.AlarmName}"
    fingerprint = f"cw:{identity}"
    if len(fingerprint) > MAX_FINGERPRINT:
        fingerprint = "cw:sha256:" + hashlib.sha256(identity.encode()).hexdigest()
    return fingerprint


def labels_of(alarm: CloudWatchAlarm) -> dict[str, Any]:
    trigger = alarm.Trigger
    labels: dict[str, Any] = {
        "region": alarm.Region,
        "account": alarm.AWSAccountId,
        "alarm_arn": alarm.AlarmArn,
        "old_state": alarm.OldStateValue,
        "new_state": alarm.NewStateValue.value,
        "namespace": trigger.Namespace if trigger else None,
        "metric": trigger.MetricName if trigger else None,
        "dimensions": {d.name: d.value for d in trigger.Dimensions} if trigger else {},
    }
    return {name: value for name, value in labels.items() if value not in (None, {})}


def alert_fields(alarm: CloudWatchAlarm, settings: CloudWatchSettings, subject: str | None) -> dict[str, Any]:
    """The AlertPayload fields of an ALARM or OK state change (validated by the caller)."""
    summary = f"{alarm.NewStateValue.value}: {alarm.AlarmName}"
    details = alarm.NewStateReason or subject or ""
    return {
        "asset_name": asset_of(alarm),
        "signature": alarm.AlarmName,
        "severity": severity_of(alarm, settings),
        "message": f"{summary}: {details}"[:MAX_MESSAGE] if details else summary[:MAX_MESSAGE],
        "tool_source": TOOL_SOURCE,
        "labels": labels_of(alarm),
        "occurred_at": alarm.StateChangeTime,
        "status": AlertStatus.firing if alarm.NewStateValue is AlarmState.alarm else AlertStatus.resolved,
        "fingerprint": fingerprint_of(alarm),
    }
