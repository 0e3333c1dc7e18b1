"""Escalation chains over HTTP: one per company, the default one without, whom they may name, who may."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from core.accounts.roles import Role
from core.db.models import AuditLog
from tests.support.api_user import ApiUser, api_user, nominees
from tests.support.stack import Stack, TenantCreds

DEFAULT_LEVELS = [
    {
        "level": 1,
        "notify": {"oncall": True, "user_ids": [], "roles": []},
        "wait_minutes": 15,
        "reassign": True,
    },
    {
        "level": 2,
        "notify": {"oncall": False, "user_ids": [], "roles": ["company_admin"]},
        "wait_minutes": 30,
        "reassign": False,
    },
    {
        "level": 3,
        "notify": {"oncall": False, "user_ids": [], "roles": ["msp_admin"]},
        "wait_minutes": 60,
        "reassign": False,
    },
]


def level(number: int, wait: int, *, reassign: bool = False, **notify: Any) -> dict[str, Any]:
    return {
        "level": number,
        "notify": {"oncall": False, "user_ids": [], "roles": [], **notify},
        "wait_minutes": wait,
        "reassign": reassign,
    }


CHAINS = "/api/escalation-chains"


async def as_role(stack: Stack, company: TenantCreds, role: Role = Role.company_admin) -> ApiUser:
    return await api_user(stack, CHAINS, role, [company])


async def test_a_company_without_a_chain_shows_the_default_then_its_own_until_deleted_each_change_audited(
    stack: Stack,
) -> None:
    acme = await stack.company()
    admin = await as_role(stack, acme)
    lead = (await stack.user(Role.technician, [acme.id]))["id"]

    default = await admin.call("GET", company_id=acme.id)
    assert default.status_code == 200, default.text
    assert default.json() == [
        {
            "id": None,
            "company_id": acme.id,
            "name": "Default",
            "levels": DEFAULT_LEVELS,
            "default": True,
            "created_by": None,
            "created_at": None,
            "updated_at": None,
        }
    ]

    levels = [
        level(1, 10, oncall=True, reassign=True),
        level(2, 20, user_ids=[lead], roles=["company_admin"]),
    ]
    created = await admin.call("POST", json={"company_id": acme.id, "name": " Acme chain ", "levels": levels})
    assert created.status_code == 201, created.text
    chain = created.json()
    assert (chain["name"], chain["levels"], chain["default"]) == ("Acme chain", levels, False)
    assert (await admin.call("GET", company_id=acme.id)).json() == [chain]
    assert (await admin.call("GET", f"/{chain['id']}")).json() == chain

    second = await admin.call("POST", json={"company_id": acme.id, "name": "Another", "levels": levels})
    assert second.status_code == 409 and "replace it with PUT" in second.text

    replaced = await admin.call("PUT", f"/{chain['id']}", json={"name": "Acme chain", "levels": levels[:1]})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["levels"] == levels[:1]

    assert (await admin.call("DELETE", f"/{chain['id']}")).status_code == 204
    assert (await admin.call("GET", f"/{chain['id']}")).status_code == 404
    assert (await admin.call("GET", company_id=acme.id)).json()[0]["default"] is True

    async with stack.services.sessions() as session:
        rows = await session.execute(
            select(AuditLog).where(AuditLog.company_id == acme.id).order_by(col(AuditLog.at))
        )
        audit = [(e.action, e.before, e.after) for e in rows.scalars()]
    assert [a for a, _, _ in audit] == [
        "escalation_chain.create",
        "escalation_chain.update",
        "escalation_chain.delete",
    ]
    assert audit[1][1] == {"levels": levels} and audit[1][2] == {"levels": levels[:1]}


async def test_a_chain_naming_someone_who_cannot_serve_the_company_or_unusable_is_refused_with_422(
    stack: Stack,
) -> None:
    acme, other = await stack.company(), await stack.company("Other")
    admin = await as_role(stack, acme)
    member, stranger, disabled = await nominees(stack, acme, other)
    cases: list[tuple[str, list[dict[str, Any]], str]] = [
        ("another company's user", [level(1, 5, user_ids=[member, stranger])], "not an active member"),
        ("unknown user", [level(1, 5, user_ids=["usr_nobody"])], "not an active member"),
        ("disabled user", [level(1, 5, user_ids=[disabled])], "not an active member"),
        ("no levels", [], "at least 1 item"),
        ("numbered from 2", [level(2, 5, oncall=True)], "numbered 1, 2"),
        ("out of order", [level(1, 5, oncall=True), level(3, 5, oncall=True)], "numbered 1, 2"),
        ("notifies nobody", [level(1, 5)], "notifies nobody"),
        ("negative wait", [level(1, -5, oncall=True)], "greater than or equal to 0"),
        ("unknown role", [level(1, 5, roles=["owner"])], "msp_admin"),
        ("a string for a flag", [level(1, 5, oncall="yes")], "valid boolean"),
    ]
    existing = await admin.call(
        "POST", json={"company_id": acme.id, "name": "Chain", "levels": [level(1, 5, oncall=True)]}
    )
    assert existing.status_code == 201, existing.text

    failures = []
    for label, levels, reason in cases:
        for method, path, body in (
            # The company has a chain already: a body refused says why before the 409 would.
            ("POST", "", {"company_id": acme.id, "name": "Chain", "levels": levels}),
            ("PUT", f"/{existing.json()['id']}", {"name": "Chain", "levels": levels}),
        ):
            response = await admin.call(method, path, json=body)
            if response.status_code != 422 or reason not in response.text:
                failures.append(f"{label} ({method}): {response.status_code} {response.text[:300]}")
    assert failures == []


async def test_chains_of_another_company_are_not_found_and_technicians_only_read(stack: Stack) -> None:
    acme, other = await stack.company(), await stack.company("Other")
    admin, outsider = await as_role(stack, acme), await as_role(stack, other)
    tech = await as_role(stack, acme, Role.technician)
    body = {"company_id": acme.id, "name": "Chain", "levels": [level(1, 5, oncall=True)]}
    created = await admin.call("POST", json=body)
    path = f"/{created.json()['id']}"
    spec = {"name": "Chain", "levels": body["levels"]}

    assert (await outsider.call("GET", path)).status_code == 404
    assert (await outsider.call("PUT", path, json=spec)).status_code == 404
    assert (await outsider.call("PUT", path, json={})).status_code == 404  # before the body is read
    assert (await outsider.call("DELETE", path)).status_code == 404
    assert (await outsider.call("POST", json=body)).status_code == 404
    assert (await outsider.call("GET", company_id=acme.id)).status_code == 404
    assert (await outsider.call("GET")).json() == []

    assert (await tech.call("GET", path)).status_code == 200
    assert (await tech.call("GET", company_id=acme.id)).json()[0]["id"] == created.json()["id"]
    assert (await tech.call("PUT", path, json=spec)).status_code == 403
    assert (await tech.call("DELETE", path)).status_code == 403
    msp = await api_user(stack, CHAINS, Role.msp_admin, [])
    assert created.json()["id"] in {c["id"] for c in (await msp.call("GET")).json()}
