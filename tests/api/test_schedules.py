"""On-call schedules over HTTP: managing them, who may, whom they may name, and who is on call now."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from core.accounts.roles import Role
from core.db.models import AuditLog
from tests.support.api_user import ApiUser, api_user, nominees
from tests.support.stack import Stack, TenantCreds


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def weekly_layer(*participants: str, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "Primary",
        "rotation": "weekly",
        "handoff_time": "09:00",
        "starts_on": "2025-01-06",
        "participants": list(participants),
        **overrides,
    }


def always(user_id: str, name: str) -> dict[str, Any]:
    """A layer with `user_id` on call at every instant (daily, a single participant)."""
    return weekly_layer(user_id, name=name, rotation="daily", handoff_time="00:00", starts_on="2020-01-01")


async def as_role(stack: Stack, company: TenantCreds, role: Role = Role.company_admin) -> ApiUser:
    return await api_user(stack, "/api", role, [company])


async def test_company_admin_creates_reads_lists_replaces_and_deletes_a_schedule_each_change_audited(
    stack: Stack,
) -> None:
    acme = await stack.company()
    admin = await as_role(stack, acme)
    alice, bob = [(await stack.user(Role.technician, [acme.id]))["id"] for _ in range(2)]
    body = {
        "company_id": acme.id,
        "name": "  Network ",
        "timezone": "Europe/Berlin",
        "layers": [weekly_layer(alice, bob)],
    }

    created = await admin.create(body, "/schedules")

    assert created["name"] == "Network" and created["company_id"] == acme.id
    assert created["layers"] == [{**weekly_layer(alice, bob), "shift_hours": None, "restrictions": []}]
    assert created["overrides"] == [] and created["created_by"] == admin.user_id
    now = created["on_call_now"]
    assert now["user_id"] in {alice, bob} and now["by_override"] is False
    handoff = datetime.fromisoformat(now["until"])
    assert timedelta(0) < handoff - datetime.now(UTC) <= timedelta(days=7)
    assert handoff.astimezone(ZoneInfo("Europe/Berlin")).strftime("%a %H:%M") == "Mon 09:00"
    assert (await admin.call("GET", f"/schedules/{created['id']}")).json() == created
    assert [s["id"] for s in (await admin.call("GET", "/schedules", company_id=acme.id)).json()] == [
        created["id"]
    ]

    swap_until = datetime.now(UTC) + timedelta(hours=2)
    on_call = now["user_id"]
    stand_in = bob if on_call == alice else alice
    replacement = {
        "name": "Network",
        "timezone": "Europe/Berlin",
        "layers": [weekly_layer(alice, bob)],
        "overrides": [
            {
                "user_id": stand_in,
                "replaces_user_id": on_call,
                "starts_at": iso(datetime.now(UTC) - timedelta(hours=1)),
                "ends_at": iso(swap_until),
            }
        ],
    }
    replaced = await admin.call("PUT", f"/schedules/{created['id']}", json=replacement)
    assert replaced.status_code == 200, replaced.text
    swapped = replaced.json()["on_call_now"]
    assert swapped["user_id"] == stand_in and swapped["by_override"] is True
    assert datetime.fromisoformat(swapped["until"]) == swap_until  # then the rotation's own answer again

    assert (await admin.call("DELETE", f"/schedules/{created['id']}")).status_code == 204
    assert (await admin.call("GET", f"/schedules/{created['id']}")).status_code == 404

    async with stack.services.sessions() as session:
        rows = await session.execute(
            select(AuditLog).where(AuditLog.company_id == acme.id).order_by(col(AuditLog.at))
        )
        audit = [(e.action, e.before, e.after) for e in rows.scalars()]
    assert [a for a, _, _ in audit] == [
        "oncall_schedule.create",
        "oncall_schedule.update",
        "oncall_schedule.delete",
    ]
    assert audit[1][1] == {"overrides": []} and audit[1][2] is not None and list(audit[1][2]) == ["overrides"]


async def test_who_is_on_call_now_per_layer_and_overall_with_until_when(stack: Stack) -> None:
    acme = await stack.company()
    tech = await as_role(stack, acme, Role.technician)
    admin = await as_role(stack, acme)
    night, office = [(await stack.user(Role.technician, [acme.id]))["id"] for _ in range(2)]
    everyday = [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "00:00"}]
    stand_in = (await stack.user(Role.technician, [acme.id]))["id"]
    await admin.create(
        {
            "company_id": acme.id,
            "name": "Primary",
            "layers": [always(night, "base"), {**always(office, "top"), "restrictions": everyday}],
        },
        "/schedules",
    )
    await admin.create(
        {
            "company_id": acme.id,
            "name": "Secondary",
            "layers": [always(night, "base")],
            "overrides": [
                {
                    "user_id": stand_in,
                    "starts_at": iso(datetime.now(UTC) - timedelta(minutes=5)),
                    "ends_at": "2099-01-01T00:00:00Z",
                }
            ],
        },
        "/schedules",
    )

    response = await tech.call("GET", f"/oncall/{acme.id}/now")

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["company_id"] == acme.id and answer["user_ids"] == [office, stand_in]
    primary, secondary = answer["schedules"]
    assert (primary["name"], primary["user_id"], primary["until"], primary["by_override"]) == (
        "Primary",
        office,
        None,
        False,
    )
    assert primary["layers"] == [
        {"layer": "base", "user_id": night, "until": None},
        {"layer": "top", "user_id": office, "until": None},
    ]
    assert (secondary["user_id"], secondary["by_override"], secondary["layers"][0]["user_id"]) == (
        stand_in,
        True,
        night,
    )
    assert secondary["until"] is None  # the override outlasts the year "until" looks ahead


def invalid_cases(member: str, stranger: str, disabled: str) -> list[tuple[str, dict[str, Any], str]]:
    override = {"user_id": member, "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-03T00:00:00Z"}
    return [
        (
            "participant of another company",
            {"layers": [weekly_layer(member, stranger)]},
            "not an active member",
        ),
        ("unknown participant", {"layers": [weekly_layer("usr_nobody")]}, "not an active member"),
        ("disabled participant", {"layers": [weekly_layer(disabled)]}, "not an active member"),
        (
            "override by a stranger",
            {"overrides": [{**override, "user_id": stranger}]},
            "not an active member",
        ),
        ("unknown zone", {"timezone": "Europe/Atlantis"}, "unknown time zone"),
        ("custom without a length", {"layers": [weekly_layer(member, rotation="custom")]}, "shift_hours"),
        ("length on a weekly", {"layers": [weekly_layer(member, shift_hours=4)]}, "custom rotations only"),
        ("no participants", {"layers": [weekly_layer()]}, "at least 1 item"),
        ("no layers", {"layers": []}, "at least 1 item"),
        ("same layer names", {"layers": [weekly_layer(member), weekly_layer(member)]}, "must differ"),
        ("hand-off not HH:MM", {"layers": [weekly_layer(member, handoff_time="9:00")]}, "pattern"),
        ("rotation unknown", {"layers": [weekly_layer(member, rotation="hourly")]}, "daily"),
        (
            "override ends first",
            {"overrides": [{**override, "ends_at": "2030-01-01T00:00:00Z"}]},
            "before its ends_at",
        ),
        (
            "override without offset",
            {"overrides": [{**override, "starts_at": "2030-01-01T00:00:00"}]},
            "timezone",
        ),
        ("swap with oneself", {"overrides": [{**override, "replaces_user_id": member}]}, "its own user"),
        ("unknown field", {"owner": member}, "Extra inputs"),
    ]


async def test_a_schedule_naming_someone_who_cannot_serve_the_company_or_unusable_is_refused_with_422(
    stack: Stack,
) -> None:
    acme, other = await stack.company(), await stack.company("Other")
    admin = await as_role(stack, acme)
    member, stranger, disabled = await nominees(stack, acme, other)
    valid = {"company_id": acme.id, "name": "Primary", "layers": [weekly_layer(member)]}
    existing = await admin.create(valid, "/schedules")

    failures = []
    for label, change, reason in invalid_cases(member, stranger, disabled):
        for method, path, body in (
            ("POST", "/schedules", {**valid, **change}),
            (
                "PUT",
                f"/schedules/{existing['id']}",
                {k: v for k, v in {**valid, **change}.items() if k != "company_id"},
            ),
        ):
            response = await admin.call(method, path, json=body)
            if response.status_code != 422 or reason not in response.text:
                failures.append(f"{label} ({method}): {response.status_code} {response.text[:300]}")
    assert failures == []
    msp = await api_user(stack, "/api", Role.msp_admin, [])
    with_msp = await admin.create(
        {**valid, "name": "With MSP staff", "layers": [weekly_layer(member, msp.user_id)]}, "/schedules"
    )
    assert with_msp["layers"][0]["participants"] == [member, msp.user_id]


async def test_schedules_of_another_company_are_not_found_and_technicians_only_read(stack: Stack) -> None:
    acme, other = await stack.company(), await stack.company("Other")
    admin, outsider = await as_role(stack, acme), await as_role(stack, other)
    tech = await as_role(stack, acme, Role.technician)
    member = (await stack.user(Role.technician, [acme.id]))["id"]
    body = {"company_id": acme.id, "name": "Primary", "layers": [weekly_layer(member)]}
    created = await admin.create(body, "/schedules")
    path = f"/schedules/{created['id']}"
    spec = {k: v for k, v in body.items() if k != "company_id"}

    assert (await outsider.call("GET", path)).status_code == 404
    assert (await outsider.call("PUT", path, json=spec)).status_code == 404
    assert (await outsider.call("PUT", path, json={})).status_code == 404  # before the body is read
    assert (await outsider.call("DELETE", path)).status_code == 404
    assert (await outsider.call("POST", "/schedules", json=body)).status_code == 404
    assert (await outsider.call("GET", f"/oncall/{acme.id}/now")).status_code == 404
    assert (await outsider.call("GET", "/schedules")).json() == []
    assert (await outsider.call("GET", "/schedules", company_id=acme.id)).json() == []

    assert (await tech.call("GET", path)).status_code == 200
    assert (await tech.call("PUT", path, json=spec)).status_code == 403
    assert (await tech.call("DELETE", path)).status_code == 403
    assert (await tech.call("POST", "/schedules", json=body)).status_code == 403
    assert (await admin.call("GET", path)).json()["name"] == "Primary"


@pytest.mark.parametrize("rotation", ["daily", "custom"])
async def test_the_handoff_answered_is_at_the_local_handoff_time(stack: Stack, rotation: str) -> None:
    acme = await stack.company()
    admin = await as_role(stack, acme)
    a, b = [(await stack.user(Role.technician, [acme.id]))["id"] for _ in range(2)]
    layer = weekly_layer(
        a, b, rotation=rotation, handoff_time="07:30", starts_on=date(2025, 1, 1).isoformat()
    )
    if rotation == "custom":
        layer["shift_hours"] = 12
    created = await admin.create(
        {"company_id": acme.id, "name": "NY", "timezone": "America/New_York", "layers": [layer]}, "/schedules"
    )
    until = datetime.fromisoformat(created["on_call_now"]["until"]).astimezone(ZoneInfo("America/New_York"))
    assert until.strftime("%H:%M") in ({"07:30"} if rotation == "daily" else {"07:30", "19:30"})
