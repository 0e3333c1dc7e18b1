"""Severity of alerts, incidents and notifications: below every other shared type, so that the notification
types can use it and `workflows/types.py` can carry a notification (an incident write's outbox notice)."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.low: 0, Severity.medium: 1, Severity.high: 2, Severity.critical: 3}
