"""The on-call activities answer from the database as it stands: an assignee by the company's policy, and
an escalation level; they write nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.testing import ActivityEnvironment

from activities.oncall import OnCall
from core.accounts.roles import Role
from core.settings import Settings
from tests.support.oncall_world import OnCallWorld, oncall_world
from workflows.assignment.types import (
    Approvers,
    ApproversRequest,
    Assignment,
    AssignRequest,
    EscalationRequest,
    EscalationStep,
)
from workflows.types import Severity


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[OnCallWorld]:
    async with oncall_world(settings) as made:
        yield made


async def test_choose_assignee_uses_the_company_policy_and_the_incident_category(world: OnCallWorld) -> None:
    company = await world.company({"assignment_strategy": "least_loaded"})
    busy, idle = [await world.user([company], category="Network") for _ in range(2)]
    await world.user([company], category="network")  # not on call
    await world.on_call(company, busy, idle)
    await world.incident(company, busy, status="in_progress")
    activities = OnCall(world.sessions)

    answer = await ActivityEnvironment().run(
        activities.choose_assignee,
        AssignRequest(
            incident_id="incident-1", company_id=company, category="network", severity=Severity.high
        ),
    )

    assert answer == Assignment(
        user_id=idle, reason="on call for category network; fewest open incidents of 2"
    )


async def test_escalation_step_follows_the_default_chain_without_one_of_the_company(
    world: OnCallWorld,
) -> None:
    company = await world.company()
    admin = await world.user([company], role=Role.company_admin)
    activities = OnCall(world.sessions)

    step = await ActivityEnvironment().run(
        activities.escalation_step, EscalationRequest(incident_id="incident-1", company_id=company, level=1)
    )

    # Nobody is on call, so level 1 reaches nobody and the company's admins (level 2) are next.
    assert step == EscalationStep(level=2, notify_user_ids=[admin], wait_minutes=30, last_level=False)


async def test_approvers_are_the_company_users_of_the_role_asked_for_else_the_msp_admins(
    world: OnCallWorld,
) -> None:
    company, other = await world.company(), await world.company()
    admin = await world.user([company], role=Role.company_admin)
    await world.user([company], role=Role.company_admin, disabled=True)
    await world.user([other], role=Role.company_admin)
    tech = await world.user([company])
    msp = await world.user([], role=Role.msp_admin)
    activities = OnCall(world.sessions)

    def asked(company_id: str, role: str) -> ApproversRequest:
        return ApproversRequest(company_id=company_id, required_role=role)

    env = ActivityEnvironment()
    assert await env.run(activities.approvers, asked(company, "company_admin")) == Approvers(user_ids=[admin])
    assert await env.run(activities.approvers, asked(company, "technician")) == Approvers(user_ids=[tech])
    # A company with nobody of that role (its only admin belongs elsewhere): the MSP's administrators.
    lonely = await world.company()
    fallback = (await env.run(activities.approvers, asked(lonely, "company_admin"))).user_ids
    assert msp in fallback and admin not in fallback and tech not in fallback
