"""Test helpers that store alerts the way the webhook does, for tests that drive the router directly."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from temporalio.client import WorkflowHandle

from core.db.models import new_id
from core.runtime import Services
from workflows.incident.correlation import aggregation_key, series_fingerprint
from workflows.types import AggregationMode, AlertRef, AlertStatus, Severity

HISTORIES = Path(__file__).resolve().parents[1] / "histories"


async def store_alerts(
    services: Services,
    company_id: str,
    count: int,
    *,
    asset: str = "db-prod-01",
    signature: str = "disk_space_critical",
    severity: Severity = Severity.high,
    status: AlertStatus = AlertStatus.firing,
    received_at: datetime | None = None,
    mode: AggregationMode = AggregationMode.asset_signature,
) -> tuple[str, list[AlertRef]]:
    """Commit `count` alerts as the webhook would, returning their key and references (not yet routed)."""
    key = aggregation_key(mode, asset=asset, signature=signature)
    at = received_at or datetime.now(UTC)
    refs = [
        AlertRef(
            id=new_id("al"),
            received_at=at,
            severity=severity,
            status=status,
            tool_source="datadog",
            fingerprint=series_fingerprint(asset=asset, signature=signature),
            asset_name=asset,
            signature=signature,
        )
        for _ in range(count)
    ]
    await asyncio.gather(
        *(
            services.intake.store(
                {
                    "id": r.id,
                    "company_id": company_id,
                    "delivery_id": r.id,
                    "asset_name": asset,
                    "asset_id": None,
                    "signature": signature,
                    "severity": severity.value,
                    "message": "test",
                    "tool_source": "datadog",
                    "category": None,
                    "labels": {},
                    "status": status.value,
                    "fingerprint": r.fingerprint,
                    "aggregation_key": key,
                    "occurred_at": None,
                    "received_at": at,
                }
            )
            for r in refs
        )
    )
    return key, refs


async def record_history(handle: WorkflowHandle, name: str) -> None:
    """Keeps a real run's history for the replay test; set AW_RECORD_HISTORIES=1 to record anew."""
    path = HISTORIES / f"{name}.json"
    if path.exists() and os.environ.get("AW_RECORD_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    data = json.loads(history.to_json())
    data["workflowId"] = handle.id
    # Written aside and renamed: a run beside this one (or its replay test) never reads half a file.
    written = path.with_name(f".{path.name}.{os.getpid()}")
    written.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    written.replace(path)
