"""The intake stores concurrent alerts in one transaction; one the database refuses costs only itself."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from core.db.models import new_id
from tests.support.stack import Stack
from workflows.incident.correlation import series_fingerprint


def row(company_id: str, *, message: str = "Disk /var at 95%") -> dict[str, Any]:
    alert_id = new_id("al")
    return {
        "id": alert_id,
        "company_id": company_id,
        "delivery_id": alert_id,
        "asset_name": "db-prod-01",
        "asset_id": None,
        "signature": "disk_space_critical",
        "severity": "high",
        "message": message,
        "tool_source": "datadog",
        "category": None,
        "labels": {},
        "status": "firing",
        "fingerprint": series_fingerprint(asset="db-prod-01", signature="disk_space_critical"),
        "aggregation_key": "k",
        "occurred_at": None,
        "received_at": datetime.now(UTC),
    }


async def test_one_unstorable_alert_does_not_fail_other_companies_alerts_stored_in_the_same_batch(
    stack: Stack,
) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    # PostgreSQL refuses a NUL character in text. The webhook's validation refuses it before storage,
    # so this reaches the batch only from below the API: the point is what the batch does with it.
    bad = row(acme.id, message="disk\u0000full")
    good = [row(globex.id) for _ in range(20)]
    flushes = 0
    insert_batch = stack.services.intake._inserts._flush

    async def counting(rows: list[dict[str, Any]]) -> Any:
        nonlocal flushes
        flushes += 1
        return await insert_batch(rows)

    stack.services.intake._inserts._flush = counting
    outcomes = await asyncio.gather(
        *(stack.services.intake.store(r) for r in [bad, *good]), return_exceptions=True
    )

    assert flushes == 1 + 21, "one shared batch, then each of its alerts alone"
    assert isinstance(outcomes[0], Exception)
    assert all(not isinstance(o, BaseException) and not o.duplicate for o in outcomes[1:])
    assert await stack.count_rows("alert", globex.id) == 20
    assert await stack.count_rows("alert", acme.id) == 0
    assert await stack.count_rows("webhook_delivery", acme.id) == 0
