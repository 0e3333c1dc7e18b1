"""Maintenance windows over HTTP: managing them, who may, and what they do to alerts arriving inside them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import col, select

from core.accounts.roles import Role
from core.db.models import AuditLog, MaintenanceWindow
from core.ingest.undelivered import unrouted_alerts
from tests.support.helpers import store_alerts
from tests.support.signin import bearer
from tests.support.stack import Stack, TenantCreds, alert_body, eventually

BERLIN = ZoneInfo("Europe/Berlin")


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def once_body(company_id: str, **overrides: Any) -> dict[str, Any]:
    """Open from an hour ago until an hour from now, for the company's database servers."""
    body: dict[str, Any] = {
        "company_id": company_id,
        "name": "Database patching",
        "kind": "once",
        "starts_at": iso(datetime.now(UTC) - timedelta(hours=1)),
        "ends_at": iso(datetime.now(UTC) + timedelta(hours=1)),
        "match_assets": ["DB-PROD-*"],
    }
    body.update(overrides)
    return body


class Api:
    def __init__(self, stack: Stack, user: dict[str, str]) -> None:
        self.stack, self.headers = stack, bearer(user["access_token"])

    async def call(self, method: str, path: str = "", json: Any = None, **params: Any) -> httpx.Response:
        return await self.stack.http.request(
            method,
            f"{self.stack.url}/api/maintenance-windows{path}",
            json=json,
            params=params or None,
            headers=self.headers,
        )

    async def create(self, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.call("POST", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


async def admin_of(stack: Stack, company: TenantCreds) -> Api:
    return Api(stack, await stack.user(Role.company_admin, [company.id]))


async def windows_of(stack: Stack, company_id: str) -> list[MaintenanceWindow]:
    async with stack.services.sessions() as session:
        rows = await session.execute(
            select(MaintenanceWindow).where(MaintenanceWindow.company_id == company_id)
        )
        return list(rows.scalars())


async def open_incident_ids(stack: Stack, api: Api, company_id: str) -> set[str]:
    response = await stack.http.get(
        f"{stack.url}/api/incidents", params={"company_id": company_id}, headers=api.headers
    )
    assert response.status_code == 200, response.text
    return {i["id"] for i in response.json()["items"]}


# --- managing windows ------------------------------------------------------------------------------------


async def test_company_admin_creates_reads_lists_replaces_and_deletes_a_window_and_each_change_is_audited(
    stack: Stack,
) -> None:
    acme = await stack.company()
    api = await admin_of(stack, acme)
    weekly = {
        "company_id": acme.id,
        "name": "  Sunday night backups ",
        "kind": "weekly",
        "timezone": "Europe/Berlin",
        "weekly": [{"days": ["sat", "sun"], "start": "23:00", "end": "03:00"}],
        "match_signatures": ["backup_*"],
        "match_labels": {"env": "prod"},
    }
    created = await api.create(weekly)
    assert created["name"] == "Sunday night backups"
    assert created["company_id"] == acme.id and created["kind"] == "weekly"
    assert created["weekly"] == weekly["weekly"] and created["match_labels"] == {"env": "prod"}
    assert created["enabled"] is True and created["suppressed_alerts"] == 0
    next_start = datetime.fromisoformat(created["next_start"])
    assert datetime.now(UTC) < next_start <= datetime.now(UTC) + timedelta(days=7)
    assert next_start.astimezone(BERLIN).strftime("%a %H:%M") in {"Sat 23:00", "Sun 23:00"}

    shown = await api.call("GET", f"/{created['id']}")
    assert shown.status_code == 200 and shown.json() == created

    patching = once_body(acme.id)
    once = await api.create(patching)
    assert once["active_now"] is True and once["next_start"] is None
    listed = await api.call("GET", company_id=acme.id)
    assert [w["id"] for w in listed.json()] == [once["id"], created["id"]]  # by name
    only_active = await api.call("GET", company_id=acme.id, active="true")
    assert [w["id"] for w in only_active.json()] == [once["id"]]
    only_inactive = await api.call("GET", company_id=acme.id, active="false")
    assert [w["id"] for w in only_inactive.json()] == [created["id"]]

    replacement = {k: v for k, v in patching.items() if k != "company_id"}
    replacement["enabled"] = False
    replaced = await api.call("PUT", f"/{once['id']}", json=replacement)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["enabled"] is False and replaced.json()["active_now"] is False

    deleted = await api.call("DELETE", f"/{created['id']}")
    assert deleted.status_code == 204
    assert (await api.call("GET", f"/{created['id']}")).status_code == 404
    assert [w.id for w in await windows_of(stack, acme.id)] == [once["id"]]

    async with stack.services.sessions() as session:
        rows = await session.execute(
            select(AuditLog).where(AuditLog.company_id == acme.id).order_by(col(AuditLog.at))
        )
        audit = [(e.action, e.object_id, e.before, e.after) for e in rows.scalars()]
    assert [(a, o) for a, o, _, _ in audit] == [
        ("maintenance_window.create", created["id"]),
        ("maintenance_window.create", once["id"]),
        ("maintenance_window.update", once["id"]),
        ("maintenance_window.delete", created["id"]),
    ]
    _, _, before, after = audit[2]
    assert before == {"enabled": True} and after == {"enabled": False}  # only what changed
    assert audit[3][2] is not None and audit[3][2]["name"] == "Sunday night backups"


async def test_cron_window_answers_when_it_next_fires(stack: Stack) -> None:
    acme = await stack.company()
    api = await admin_of(stack, acme)
    created = await api.create(
        {
            "company_id": acme.id,
            "name": "Hourly job",
            "kind": "cron",
            "cron": "0 * * * *",
            "duration_minutes": 120,
            "timezone": "Asia/Kolkata",
        }
    )
    # Every hour for two hours: always open, and the next fire is within the hour, on a half hour UTC
    # (Kolkata is UTC+05:30).
    assert created["active_now"] is True
    fires = datetime.fromisoformat(created["next_start"])
    assert timedelta(0) < fires - datetime.now(UTC) <= timedelta(hours=1)
    assert (fires.minute, fires.second) == (30, 0)


INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("blank name", {"name": "   "}, "must not be blank"),
    (
        "ends before it starts",
        {"ends_at": "2030-01-01T00:00:00Z", "starts_at": "2030-01-02T00:00:00Z"},
        "before",
    ),
    ("no end", {"ends_at": None}, "needs starts_at and ends_at"),
    ("no offset", {"starts_at": "2030-01-01T00:00:00"}, "timezone"),
    ("a number for a date", {"starts_at": 1_900_000_000}, "ISO 8601"),
    ("unknown zone", {"timezone": "Europe/Atlantis"}, "unknown time zone"),
    ("cron field on a once window", {"cron": "0 2 * * *"}, "not used by a once window"),
    ("weekly without intervals", {"kind": "weekly", "starts_at": None, "ends_at": None}, "at least one"),
    (
        "weekly day misspelt",
        {
            "kind": "weekly",
            "starts_at": None,
            "ends_at": None,
            "weekly": [{"days": ["Monday"], "start": "01:00", "end": "02:00"}],
        },
        "mon",
    ),
    (
        "weekly time not HH:MM",
        {
            "kind": "weekly",
            "starts_at": None,
            "ends_at": None,
            "weekly": [{"days": ["mon"], "start": "25:00", "end": "02:00"}],
        },
        "pattern",
    ),
    (
        "cron not valid",
        {"kind": "cron", "starts_at": None, "ends_at": None, "cron": "every day", "duration_minutes": 5},
        "cron",
    ),
    (
        "cron without duration",
        {"kind": "cron", "starts_at": None, "ends_at": None, "cron": "0 2 * * *"},
        "duration_minutes",
    ),
    (
        "cron duration over a week",
        {"kind": "cron", "starts_at": None, "ends_at": None, "cron": "0 2 * * *", "duration_minutes": 10081},
        "less than or equal to 10080",
    ),
    ("unknown kind", {"kind": "monthly"}, "once"),
    ("too many globs", {"match_assets": ["a*"] * 101}, "at most 100"),
    ("empty glob", {"match_signatures": [""]}, "at least 1 character"),
    ("label value not text", {"match_labels": {"env": 1}}, "valid string"),
    ("NUL in a glob", {"match_assets": ["db\x00"]}, "NUL"),
    ("unknown field", {"priority": "high"}, "Extra inputs"),
    ("enabled as text", {"enabled": "yes"}, "valid boolean"),
]


@pytest.mark.parametrize(("case", "change", "reason"), INVALID, ids=[c for c, _, _ in INVALID])
async def test_invalid_window_is_refused_with_a_reason_and_nothing_is_stored(
    stack: Stack, case: str, change: dict[str, Any], reason: str
) -> None:
    acme = await stack.company()
    api = await admin_of(stack, acme)
    response = await api.call("POST", json=once_body(acme.id, **change))
    assert response.status_code == 422, response.text
    assert reason in response.text, response.text
    assert await windows_of(stack, acme.id) == []
    # The same body refused when replacing an existing window, which stays as it was.
    existing = await api.create(once_body(acme.id))
    replaced = await api.call(
        "PUT",
        f"/{existing['id']}",
        json={k: v for k, v in once_body(acme.id, **change).items() if k != "company_id"},
    )
    assert replaced.status_code == 422 and reason in replaced.text, replaced.text
    assert (await api.call("GET", f"/{existing['id']}")).json() == existing


# --- who may ---------------------------------------------------------------------------------------------


async def test_other_companies_see_nothing_and_technicians_read_but_do_not_change(stack: Stack) -> None:
    acme, other = await stack.company("Acme"), await stack.company("Other")
    window = await (await admin_of(stack, acme)).create(once_body(acme.id))
    path = f"/{window['id']}"
    replacement = {k: v for k, v in once_body(acme.id).items() if k != "company_id"}

    outsider = await admin_of(stack, other)
    assert (await outsider.call("GET", path)).status_code == 404
    assert (await outsider.call("PUT", path, json=replacement)).status_code == 404
    assert (await outsider.call("DELETE", path)).status_code == 404
    assert (await outsider.call("POST", json=once_body(acme.id))).status_code == 404
    assert (await outsider.call("GET")).json() == []
    assert (await outsider.call("GET", company_id=acme.id)).json() == []

    outside_technician = Api(stack, await stack.user(Role.technician, [other.id]))
    assert (await outside_technician.call("GET", path)).status_code == 404

    technician = Api(stack, await stack.user(Role.technician, [acme.id]))
    assert (await technician.call("GET", path)).json() == window
    assert [w["id"] for w in (await technician.call("GET")).json()] == [window["id"]]
    for method, where, body in (
        ("POST", "", once_body(acme.id)),
        ("PUT", path, replacement),
        ("DELETE", path, None),
    ):
        refused = await technician.call(method, where, json=body)
        assert refused.status_code == 403 and "maintenance:manage" in refused.json()["detail"], refused.text
    assert [w.id for w in await windows_of(stack, acme.id)] == [window["id"]]

    msp = Api(stack, await stack.user(Role.msp_admin, []))
    assert window["id"] in {w["id"] for w in (await msp.call("GET")).json()}
    assert (await msp.call("DELETE", path)).status_code == 204


# --- what windows do to alerts ---------------------------------------------------------------------------


async def test_firing_alert_inside_a_window_is_stored_suppressed_and_opens_no_incident(stack: Stack) -> None:
    acme = await stack.company()
    api = await admin_of(stack, acme)
    # An alert before the window exists, so the intake has cached "no windows" for the company.
    before = await stack.settled(await stack.post_alert(acme, alert_body(asset_name="web-01")))
    assert before["suppressed"] is False

    window = await api.create(once_body(acme.id))
    delivery = str(uuid.uuid4())
    inside = await stack.post_alert(acme, alert_body(asset_name="db-prod-01"), delivery_id=delivery)
    assert inside.status_code == 200, inside.text
    answer = inside.json()
    assert answer["suppressed"] is True and answer["maintenance_window_id"] == window["id"]
    assert answer["disposition"] == "suppressed" and answer["incident_id"] is None
    assert answer["duplicate"] is False and answer["queued"] is False

    # A redelivery answers duplicate, and as the first delivery did.
    again = await stack.post_alert(acme, alert_body(asset_name="db-prod-01"), delivery_id=delivery)
    assert again.json()["duplicate"] is True and again.json()["alert_id"] == answer["alert_id"]
    assert again.json()["suppressed"] is True and again.json()["maintenance_window_id"] == window["id"]

    # An alert the window does not cover opens its incident as usual; by then the suppressed one,
    # accepted earlier, would have opened its own if it were routed.
    uncovered = await stack.settled(await stack.post_alert(acme, alert_body(asset_name="web-02")))
    assert uncovered["suppressed"] is False
    incidents = {before["incident_id"], uncovered["incident_id"]}
    assert None not in incidents
    assert (
        await eventually(lambda: open_incident_ids(stack, api, acme.id), lambda ids: ids == incidents)
        == incidents
    )

    alerts = {a.id: a for a in await stack.alerts(acme.id)}
    suppressed = alerts[answer["alert_id"]]
    assert (suppressed.disposition, suppressed.maintenance_window_id, suppressed.incident_id) == (
        "suppressed",
        window["id"],
        None,
    )
    assert (await api.call("GET", f"/{window['id']}")).json()["suppressed_alerts"] == 1

    # Deleting the window keeps its alerts' history, and alerts from then on open incidents.
    assert (await api.call("DELETE", f"/{window['id']}")).status_code == 204
    after = await stack.settled(await stack.post_alert(acme, alert_body(asset_name="db-prod-01")))
    assert after["suppressed"] is False and after["incident_id"]
    kept = {a.id: a for a in await stack.alerts(acme.id)}[answer["alert_id"]]
    assert kept.maintenance_window_id == window["id"]


async def test_alert_outside_the_window_time_or_scope_opens_an_incident(stack: Stack) -> None:
    acme = await stack.company()
    api = await admin_of(stack, acme)
    later = datetime.now(UTC) + timedelta(days=1)
    await api.create(once_body(acme.id, starts_at=iso(later), ends_at=iso(later + timedelta(hours=2))))
    await api.create(once_body(acme.id, name="Labelled", match_assets=[], match_labels={"env": "staging"}))
    await api.create(once_body(acme.id, name="Disabled", match_assets=[], enabled=False))

    response = await stack.post_alert(acme, alert_body(asset_name="db-prod-01", labels={"env": "prod"}))
    answer = await stack.settled(response)
    assert answer["suppressed"] is False and answer["maintenance_window_id"] is None
    assert answer["incident_id"] is not None
    await eventually(
        lambda: open_incident_ids(stack, api, acme.id), lambda ids: ids == {answer["incident_id"]}
    )


async def test_recovery_inside_a_window_still_recovers_the_incident_opened_before_it(stack: Stack) -> None:
    acme = await stack.company()
    api = await admin_of(stack, acme)
    opened = await stack.settled(await stack.post_alert(acme, alert_body(asset_name="db-prod-01")))
    assert opened["incident_id"]

    window = await api.create(once_body(acme.id))
    recovery = await stack.post_alert(acme, alert_body(asset_name="db-prod-01", status="resolved"))
    answer = await stack.settled(recovery)
    assert answer["suppressed"] is False and answer["incident_id"] == opened["incident_id"]
    incidents = await eventually(
        lambda: stack.incidents(acme.id), lambda rows: rows and rows[0].recovery_count == 1
    )
    assert incidents[0].recovered_series == [opened["fingerprint"]]
    # Meanwhile a new firing alert of the same series is held back by the window.
    firing = (await stack.post_alert(acme, alert_body(asset_name="db-prod-01"))).json()
    assert firing["suppressed"] is True and firing["maintenance_window_id"] == window["id"]


async def test_redelivery_never_picks_up_suppressed_alerts(stack: Stack) -> None:
    acme = await stack.company()
    api = await admin_of(stack, acme)
    await api.create(once_body(acme.id))
    suppressed = (await stack.post_alert(acme, alert_body(asset_name="db-prod-01"))).json()
    assert suppressed["suppressed"] is True
    # An alert stored but never routed (as after an API crash): redelivery must find this one.
    _, (unrouted,) = await store_alerts(stack.services, acme.id, 1, asset="web-01")

    async with stack.services.sessions() as session:
        candidates = await unrouted_alerts(session, datetime.now(UTC) + timedelta(minutes=1), limit=1_000_000)
    picked = {a.id for a in candidates if a.company_id == acme.id}
    assert picked == {unrouted.id}
