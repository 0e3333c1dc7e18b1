"""Who a new incident is assigned to: on call and in its category; round robin or least loaded among
several; anyone on call when no category matches; nobody when nobody is on call. And whom a technician
may assign an incident to by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from core.accounts.roles import Role
from core.errors import AssigneeRefused
from core.oncall.assignment import choose_assignee, choose_for_company
from core.oncall.members import assignable_user
from core.settings import Settings
from tests.support.oncall_world import OnCallWorld, always, oncall_world
from workflows.assignment.types import Assignment, AssignmentStrategy


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[OnCallWorld]:
    async with oncall_world(settings) as made:
        yield made


async def choose(
    world: OnCallWorld, company_id: str, category: str | None, strategy: AssignmentStrategy = "round_robin"
) -> Assignment:
    async with world.sessions() as session:
        return await choose_assignee(session, company_id, category, datetime.now(UTC), strategy)


async def test_the_technician_on_call_in_the_incident_category_is_chosen_case_insensitively(
    world: OnCallWorld,
) -> None:
    company = await world.company()
    network = await world.user([company], category="Network")
    database = await world.user([company], category="database")
    await world.on_call(company, network, database)

    assignment = await choose(world, company, "  DATABASE ")

    assert assignment.user_id == database
    assert assignment.reason == "on call for category   DATABASE "


async def test_without_anyone_in_the_category_on_call_anyone_on_call_is_chosen(world: OnCallWorld) -> None:
    company = await world.company()
    network = await world.user([company], category="network")
    off_duty_dba = await world.user([company], category="database")
    await world.on_call(company, network)

    assignment = await choose(world, company, "database")
    without_category = await choose(world, company, None)

    assert assignment.user_id == network != off_duty_dba
    assert assignment.reason == "on call (nobody on call is in category database)"
    assert without_category == assignment.model_copy(
        update={"reason": "on call (the incident has no category)"}
    )


async def test_round_robin_goes_to_whoever_was_assigned_longest_ago_never_assigned_first(
    world: OnCallWorld,
) -> None:
    company = await world.company()
    alice, bob, carol = [await world.user([company], category="network") for _ in range(3)]
    await world.on_call(company, alice, bob, carol)
    await world.incident(company, alice, minutes_ago=120)
    await world.incident(company, bob, minutes_ago=60)

    first = await choose(world, company, "network")
    await world.incident(company, first.user_id)
    second = await choose(world, company, "network")
    await world.incident(company, second.user_id)
    third = await choose(world, company, "network")

    assert [first.user_id, second.user_id, third.user_id] == [carol, alice, bob]
    assert first.reason == "on call for category network; round robin among 3"


async def test_round_robin_counts_only_assignments_in_the_same_company(world: OnCallWorld) -> None:
    company, other = await world.company(), await world.company()
    alice, bob = [await world.user([company, other]) for _ in range(2)]
    await world.on_call(company, alice, bob)
    await world.incident(company, alice, minutes_ago=30)
    await world.incident(other, bob, minutes_ago=5)  # elsewhere: does not count here

    assert (await choose(world, company, None)).user_id == bob


async def test_least_loaded_goes_to_whoever_has_fewest_open_incidents_in_any_company(
    world: OnCallWorld,
) -> None:
    company, other = await world.company(), await world.company()
    alice, bob, carol = [await world.user([company, other], category="db") for _ in range(3)]
    await world.on_call(company, alice, bob, carol)
    for status in ("new", "in_progress"):
        await world.incident(company, alice, status=status)
    await world.incident(other, bob, status="escalated")  # load counts wherever it is
    for status in ("resolved", "void", "pending"):  # closed, or not surfaced: no load
        await world.incident(company, carol, status=status, minutes_ago=5)
    await world.incident(company, carol, status="new", minutes_ago=10)

    assignment = await choose(world, company, "db", "least_loaded")

    # bob and carol have one open incident each; carol was assigned here (5 minutes ago), bob never.
    assert assignment.user_id == bob
    assert assignment.reason == "on call for category db; fewest open incidents of 3"


async def test_nobody_on_call_means_no_assignee_with_the_reason(world: OnCallWorld) -> None:
    company = await world.company()
    await world.user([company], category="db")
    await world.schedule(company, {**always("someone-later"), "starts_on": "2099-01-01"})

    assignment = await choose(world, company, "db")

    assert assignment == Assignment(user_id=None, reason="nobody is on call for the company")


async def test_disabled_users_and_users_of_other_companies_are_not_assigned_though_on_call(
    world: OnCallWorld,
) -> None:
    company, other = await world.company(), await world.company()
    disabled = await world.user([company], category="db", disabled=True)
    stranger = await world.user([other], category="db")
    colleague = await world.user([company])
    await world.on_call(company, disabled, stranger, colleague)

    assignment = await choose(world, company, "db")

    assert assignment.user_id == colleague
    assert assignment.reason == "on call (nobody on call is in category db)"


async def test_the_company_policy_picks_the_strategy(world: OnCallWorld) -> None:
    company = await world.company({"assignment_strategy": "least_loaded"})
    busy, idle = [await world.user([company]) for _ in range(2)]
    await world.on_call(company, busy, idle)
    await world.incident(company, idle, status="resolved", minutes_ago=60)
    await world.incident(company, busy, status="new", minutes_ago=120)

    async with world.sessions() as session:
        least_loaded = await choose_for_company(session, company, None, datetime.now(UTC))

    assert least_loaded.user_id == idle  # round robin would pick busy, assigned longest ago
    assert (await choose(world, company, None)).user_id == busy


async def test_an_incident_may_be_assigned_by_hand_to_an_active_member_or_msp_staff_only(
    world: OnCallWorld,
) -> None:
    company, other = await world.company(), await world.company()
    member = await world.user([company])
    msp = await world.user([], role=Role.msp_admin)
    disabled = await world.user([company], disabled=True)
    stranger = await world.user([other])

    async with world.sessions() as session:
        assert (await assignable_user(session, company, member)).id == member
        assert (await assignable_user(session, company, msp)).id == msp
        refusals = {}
        for user_id in (disabled, stranger, "usr_nobody"):
            with pytest.raises(AssigneeRefused) as refused:
                await assignable_user(session, company, user_id)
            refusals[user_id] = str(refused.value)

    assert refusals == {
        disabled: f"user {disabled} is disabled",
        stranger: f"user {stranger} is not a member of company {company}",
        "usr_nobody": f"user usr_nobody is not a member of company {company}",
    }
