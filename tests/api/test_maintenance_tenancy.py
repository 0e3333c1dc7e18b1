"""A company's maintenance window suppresses that company's alerts, and no one else's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from core.accounts.roles import Role
from tests.support.signin import bearer
from tests.support.stack import Stack, accepted, alert_body


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def test_one_companys_open_window_does_not_suppress_another_companys_matching_alert(
    stack: Stack,
) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    asset = f"tenancy-{uuid.uuid4().hex[:8]}-01"
    admin = await stack.user(Role.company_admin, [acme.id])
    created = await stack.http.post(
        f"{stack.url}/api/maintenance-windows",
        json={
            "company_id": acme.id,
            "name": "Acme patching",
            "kind": "once",
            "starts_at": iso(datetime.now(UTC) - timedelta(hours=1)),
            "ends_at": iso(datetime.now(UTC) + timedelta(hours=1)),
            "match_assets": [asset],
        },
        headers=bearer(admin["access_token"]),
    )
    assert created.status_code == 201, created.text
    # The same asset name at another company is another machine: its alert is news.
    theirs = await stack.post_alert(globex, alert_body(asset_name=asset))
    assert accepted(theirs)["suppressed"] is False and theirs.json()["maintenance_window_id"] is None
    assert await stack.incident_of(theirs)

    ours = await stack.post_alert(acme, alert_body(asset_name=asset))
    assert ours.status_code == 200, ours.text
    assert ours.json()["suppressed"] is True and ours.json()["maintenance_window_id"] == created.json()["id"]
