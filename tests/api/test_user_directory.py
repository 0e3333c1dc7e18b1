"""`GET /api/users/directory`: every role reads the names of the people of its companies (and of the
MSP's administrators), never their emails and never anyone of another company."""

from __future__ import annotations

from core.accounts.roles import Role
from tests.support.signin import bearer
from tests.support.stack import Stack


async def directory(
    stack: Stack, user: dict[str, str], status: int = 200, **params: str
) -> list[dict[str, str]]:
    response = await stack.http.get(
        f"{stack.url}/api/users/directory", params=params, headers=bearer(user["access_token"])
    )
    assert response.status_code == status, response.text
    return response.json()


async def test_a_technician_reads_names_of_its_companies_and_the_msp_but_no_one_else(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    tech = await stack.user(Role.technician, [acme.id])
    admin = await stack.user(Role.company_admin, [acme.id])
    shared = await stack.user(Role.technician, [acme.id, globex.id])
    stranger = await stack.user(Role.technician, [globex.id])
    msp = await stack.user(Role.msp_admin, [])

    entries = await directory(stack, tech)

    ids = {e["id"] for e in entries}
    assert {tech["id"], admin["id"], shared["id"], msp["id"]} <= ids
    assert stranger["id"] not in ids
    assert all(set(e) == {"id", "name", "role", "active"} for e in entries)  # no emails
    assert {e["id"]: e["role"] for e in entries}[admin["id"]] == "company_admin"


async def test_one_company_narrows_it_and_another_tenants_company_is_404(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    shared = await stack.user(Role.technician, [acme.id, globex.id])
    acme_only = await stack.user(Role.technician, [acme.id])
    globex_only = await stack.user(Role.technician, [globex.id])
    outsider = await stack.user(Role.technician, [(await stack.company("Initech")).id])

    ids = {e["id"] for e in await directory(stack, shared, company_id=globex.id)}

    assert globex_only["id"] in ids and acme_only["id"] not in ids
    assert await directory(stack, outsider, 404, company_id=acme.id) == {"detail": f"no company {acme.id}"}  # type: ignore[comparison-overlap]


async def test_a_disabled_user_stays_named_but_is_marked_inactive(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    leaver = await stack.user(Role.technician, [acme.id])
    stayer = await stack.user(Role.technician, [acme.id])
    msp = await stack.user(Role.msp_admin, [])
    response = await stack.http.put(
        f"{stack.url}/api/users/{leaver['id']}", json={"disabled": True}, headers=bearer(msp["access_token"])
    )
    assert response.status_code == 200, response.text

    active = {e["id"]: e["active"] for e in await directory(stack, admin, company_id=acme.id)}

    assert active[leaver["id"]] is False and active[stayer["id"]] is True and active[admin["id"]] is True
