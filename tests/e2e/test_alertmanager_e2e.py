"""The real Alertmanager delivering to our webhook: grouping, repeats and resolution, end to end.

Alerts go in through Alertmanager's own v2 API; Alertmanager groups them and calls
/api/webhooks/alertmanager with the company's API key as bearer credentials, as docs/integrations/
alertmanager.md tells users to configure it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.support import alertmanager_process
from tests.support.alertmanager import ENDPOINT, Reader, rfc3339
from tests.support.alertmanager_process import Alertmanager
from tests.support.stack import Stack, TenantCreds, eventually

T = TypeVar("T")


@pytest.fixture(scope="session")
def alertmanager_binary() -> Iterator[str]:
    binary, why_not = alertmanager_process.find_or_install()
    if binary is None:
        pytest.skip(f"real Alertmanager unavailable, end-to-end test skipped: {why_not}")
    yield binary


@dataclass
class Setup:
    stack: Stack
    company: TenantCreds
    alertmanager: Alertmanager
    reader: Reader

    async def push(self, *alerts: dict[str, Any]) -> None:
        response = await self.stack.http.post(f"{self.alertmanager.url}/api/v2/alerts", json=list(alerts))
        assert response.status_code == 200, response.text

    async def fingerprints(self) -> dict[str, str]:
        """Alertmanager's fingerprint of each alert it holds, by the alert's mountpoint and instance."""
        response = await self.stack.http.get(f"{self.alertmanager.url}/api/v2/alerts")
        response.raise_for_status()
        return {
            f"{a['labels']['instance']}{a['labels']['mountpoint']}": a["fingerprint"] for a in response.json()
        }

    async def webhook_notifications(self) -> tuple[float, float]:
        """Alertmanager's own count of webhook notifications sent, and of those that failed."""
        metrics = (await self.stack.http.get(f"{self.alertmanager.url}/metrics")).text

        def total(name: str) -> float:
            found = re.search(rf'^{name}\{{integration="webhook"\}} (\S+)$', metrics, re.MULTILINE)
            return float(found.group(1)) if found else 0.0

        return (
            total("alertmanager_notifications_total"),
            total("alertmanager_notifications_failed_total"),
        )

    async def until(self, probe: Callable[[], Awaitable[T]], check: Callable[[T], bool]) -> T:
        try:
            return await eventually(probe, check, timeout=45, interval=0.2)
        except AssertionError as err:
            raise AssertionError(f"{err}\n--- alertmanager log ---\n{self.alertmanager.log_tail()}") from None

    async def incidents_by_asset(self) -> dict[str, dict[str, Any]]:
        return {i["asset_name"]: i for i in await self.reader.incidents(self.company.id)}


@pytest.fixture
async def setup(stack: Stack, alertmanager_binary: str, tmp_path: Path) -> AsyncIterator[Setup]:
    company = await stack.company("Prometheus user")
    config = alertmanager_process.webhook_config(f"{stack.url}{ENDPOINT}", company.api_key)
    running = alertmanager_process.start(alertmanager_binary, tmp_path, config)
    try:
        yield Setup(stack, company, running, await Reader.signed_in(stack))
    finally:
        running.stop()


def disk_alert(
    instance: str, mountpoint: str, starts_at: datetime, ends_at: datetime | None = None
) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "labels": {
            "alertname": "NodeFilesystemAlmostFull",
            "instance": instance,
            "job": "node",
            "mountpoint": mountpoint,
            "severity": "critical",
        },
        "annotations": {"summary": f"{mountpoint} on {instance} is almost full"},
        "startsAt": rfc3339(starts_at),
        "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=node_filesystem_avail_bytes",
    }
    if ends_at is not None:
        alert["endsAt"] = rfc3339(ends_at)
    return alert


async def test_alertmanager_groups_repeats_and_resolutions_arrive_as_incidents_and_recoveries(
    setup: Setup,
) -> None:
    started = datetime.now(UTC) - timedelta(minutes=1)
    db1_var = disk_alert("db-1:9100", "/var", started)
    db2_var = disk_alert("db-2:9100", "/var", started)

    # Two instances: two groups in Alertmanager, two incidents here.
    await setup.push(db1_var, db2_var)
    incidents = await setup.until(setup.incidents_by_asset, lambda found: len(found) == 2)
    assert set(incidents) == {"db-1:9100", "db-2:9100"}
    assert all(i["alert_count"] == 1 and i["tool_sources"] == ["alertmanager"] for i in incidents.values())
    assert all(i["severity"] == "critical" for i in incidents.values())

    # Prometheus re-sends firing alerts on every evaluation; a second series joins db-1's group, so
    # Alertmanager notifies that group again with /var repeated: /var must stay one alert here.
    await setup.push(db1_var, disk_alert("db-1:9100", "/data", started))
    incidents = await setup.until(
        setup.incidents_by_asset, lambda found: found.get("db-1:9100", {}).get("alert_count") == 2
    )
    assert len(incidents) == 2
    assert incidents["db-2:9100"]["alert_count"] == 1
    sent, failed = await setup.webhook_notifications()
    assert sent >= 3 and failed == 0, (sent, failed, setup.alertmanager.log_tail())
    assert await setup.stack.count_rows("alert", setup.company.id) == 3
    fingerprints = await setup.fingerprints()

    # Resolved in Alertmanager (endsAt now): resolved notifications recover each series.
    ended = datetime.now(UTC)
    await setup.push(
        *(
            disk_alert(instance, mountpoint, started, ended)
            for instance, mountpoint in [("db-1:9100", "/var"), ("db-1:9100", "/data"), ("db-2:9100", "/var")]
        )
    )
    incidents = await setup.until(
        setup.incidents_by_asset,
        lambda found: [found[a]["recovery_count"] for a in ("db-1:9100", "db-2:9100")] == [2, 1],
    )
    db1 = await setup.reader.incident(incidents["db-1:9100"]["id"])
    db2 = await setup.reader.incident(incidents["db-2:9100"]["id"])
    assert db1 is not None and db2 is not None
    assert sorted(db1["recovered_series"]) == sorted(
        f"am:{fingerprints[key]}" for key in ("db-1:9100/var", "db-1:9100/data")
    )
    assert db2["recovered_series"] == [f"am:{fingerprints['db-2:9100/var']}"]
    assert sorted(a["status"] for a in db1["alerts"]) == ["firing", "firing", "resolved", "resolved"]
    # Every series of each incident recovered, so each resolved itself.
    assert [(i["status"], i["resolution"]) for i in (db1, db2)] == [("resolved", "auto_resolved")] * 2
    _, failed = await setup.webhook_notifications()
    assert failed == 0, setup.alertmanager.log_tail()
