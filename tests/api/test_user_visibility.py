"""What a company admin sees of a user shared with companies they do not manage."""

from __future__ import annotations

from core.accounts.roles import Role
from tests.support.signin import bearer
from tests.support.stack import Stack


async def test_company_admin_reading_a_shared_user_sees_only_their_own_companies(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    admin = await stack.user(Role.company_admin, [acme.id])
    shared = await stack.user(Role.technician, [acme.id, globex.id])

    read = await stack.http.get(
        f"{stack.url}/api/users/{shared['id']}", headers=bearer(admin["access_token"])
    )

    assert read.status_code == 200, read.text
    assert read.json()["company_ids"] == [acme.id]


async def test_msp_admin_reading_a_shared_user_sees_all_their_companies(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    msp = await stack.user(Role.msp_admin, [])
    shared = await stack.user(Role.technician, [acme.id, globex.id])

    read = await stack.http.get(f"{stack.url}/api/users/{shared['id']}", headers=bearer(msp["access_token"]))

    assert read.status_code == 200, read.text
    assert sorted(read.json()["company_ids"]) == sorted([acme.id, globex.id])
