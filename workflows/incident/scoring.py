"""Incident priority score, 0-100. Pure and deterministic: the workflow recomputes it on every alert.

score = severity base            low 10, medium 30, high 50, critical 70
      + volume                   min(10, round(4 * log2(alert_count)))   1 alert: 0, 2: 4, 4: 8, 6+: 10
      + corroboration            5 per distinct tool source beyond the first, at most 10
      + critical asset           15 when the asset is in the company's critical_assets
      + age                      1 per full 15 minutes between first and latest alert, at most 5
clamped to 0..100.
"""

from __future__ import annotations

import math
from datetime import datetime

from workflows.types import Severity

SEVERITY_BASE = {Severity.low: 10, Severity.medium: 30, Severity.high: 50, Severity.critical: 70}


def priority_score(
    *,
    severity: Severity,
    alert_count: int,
    distinct_tool_sources: int,
    critical_asset: bool,
    first_alert_at: datetime,
    latest_alert_at: datetime,
) -> int:
    volume = min(10, round(4 * math.log2(max(alert_count, 1))))
    corroboration = min(10, 5 * max(distinct_tool_sources - 1, 0))
    critical = 15 if critical_asset else 0
    age_minutes = max((latest_alert_at - first_alert_at).total_seconds(), 0) / 60
    age = min(5, int(age_minutes // 15))
    return max(0, min(100, SEVERITY_BASE[severity] + volume + corroboration + critical + age))
