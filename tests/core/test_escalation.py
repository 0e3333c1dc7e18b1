"""Escalation steps: the default chain, a company's own chain, levels that reach nobody passed over, and
the last level repeated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import col, select

from core.accounts.roles import Role
from core.db.models import User
from core.oncall.escalation import escalation_step, parse_levels
from core.settings import Settings
from tests.support.oncall_world import OnCallWorld, oncall_world
from workflows.assignment.types import EscalationStep


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[OnCallWorld]:
    async with oncall_world(settings) as made:
        yield made


async def step(world: OnCallWorld, company_id: str, level: int) -> EscalationStep:
    async with world.sessions() as session:
        return await escalation_step(session, company_id, level, datetime.now(UTC))


def level(number: int, wait: int, *, reassign: bool = False, **notify: Any) -> dict[str, Any]:
    return {"level": number, "notify": notify, "wait_minutes": wait, "reassign": reassign}


async def test_without_a_chain_the_default_goes_on_call_then_company_admins_then_msp_admins(
    world: OnCallWorld,
) -> None:
    company, other = await world.company(), await world.company()
    tech = await world.user([company])
    admin = await world.user([company], role=Role.company_admin)
    await world.user([other], role=Role.company_admin)  # another company's: not reached
    await world.user([company], role=Role.company_admin, disabled=True)
    await world.on_call(company, tech)

    first, second, third = [await step(world, company, n) for n in (1, 2, 3)]

    assert first == EscalationStep(
        level=1, notify_user_ids=[tech], wait_minutes=15, reassign_to=tech, last_level=False
    )
    assert second == EscalationStep(
        level=2, notify_user_ids=[admin], wait_minutes=30, reassign_to=None, last_level=False
    )
    assert third.level == 3 and third.last_level and third.wait_minutes == 60 and third.reassign_to is None
    async with world.sessions() as session:
        rows = await session.execute(
            select(User.id)
            .where(User.role == "msp_admin", col(User.disabled).is_(False))
            .order_by(col(User.email))
        )
        assert third.notify_user_ids == list(rows.scalars())


async def test_a_company_chain_reaches_on_call_named_users_and_roles_in_that_order(
    world: OnCallWorld,
) -> None:
    company = await world.company()
    tech, lead = await world.user([company]), await world.user([company])
    admin = await world.user([company], role=Role.company_admin)
    await world.on_call(company, tech)
    await world.chain(
        company,
        [
            level(1, 5, oncall=True, user_ids=[lead, tech], roles=["company_admin"], reassign=True),
            level(2, 0, user_ids=[lead]),
        ],
    )

    first = await step(world, company, 1)

    assert first == EscalationStep(
        level=1, notify_user_ids=[tech, lead, admin], wait_minutes=5, reassign_to=tech, last_level=False
    )


async def test_a_level_reaching_nobody_is_passed_over_and_the_last_repeats(world: OnCallWorld) -> None:
    company = await world.company()
    admin = await world.user([company], role=Role.company_admin)
    gone = await world.user([company], disabled=True)
    await world.chain(
        company,
        [
            level(1, 10, oncall=True, reassign=True),  # nobody is on call
            level(2, 20, user_ids=[gone]),  # disabled since
            level(3, 30, roles=["company_admin"], reassign=True),
        ],
    )

    first = await step(world, company, 1)
    again = await step(world, company, 7)

    assert first == EscalationStep(
        level=3, notify_user_ids=[admin], wait_minutes=30, reassign_to=admin, last_level=True
    )
    assert again == first


async def test_the_last_level_answers_even_when_it_reaches_nobody(world: OnCallWorld) -> None:
    company = await world.company()
    await world.chain(company, [level(1, 10, oncall=True)])

    assert await step(world, company, 1) == EscalationStep(
        level=1, notify_user_ids=[], wait_minutes=10, reassign_to=None, last_level=True
    )


@pytest.mark.parametrize(
    ("levels", "reason"),
    [
        ([], "from 1 to 10 levels"),
        ([level(2, 5, oncall=True)], r"numbered 1, 2, … in order; got \[2\]"),
        ([level(1, 5, oncall=True), level(1, 5, oncall=True)], r"got \[1, 1\]"),
        ([level(1, 5)], "notifies nobody"),
        ([level(1, -1, oncall=True)], "wait_minutes from 0"),
        ([level(1, 5, roles=["owner"])], "owner"),
    ],
)
def test_an_unusable_chain_is_refused_with_the_reason(levels: list[dict[str, Any]], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_levels(levels)
