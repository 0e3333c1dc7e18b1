"""An incident row as the incident workflow projects it, for tests that write history straight to the
database: one alert, high severity, opened and last updated at `at`; the test names what matters to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.db.models import Incident


def stored_incident(incident_id: str, company_id: str, at: datetime, **fields: Any) -> Incident:
    row: dict[str, Any] = {
        "aggregation_key": incident_id,
        "generation": 1,
        "status": "new",
        "severity": "high",
        "priority_score": 50,
        "alert_count": 1,
        "signature": "disk_full",
        "asset_name": "web-1",
        "created_at": at,
        "updated_at": at,
    }
    return Incident(id=incident_id, company_id=company_id, **(row | fields))
