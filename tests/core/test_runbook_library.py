"""The starter library passes the API's checks, and seeding it adds only what is missing, on PostgreSQL and
on SQLite (what `alert-whisperer dev` uses)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from api.routes.runbooks import RunbookCreate
from core.db.models import AuditLog, Runbook
from core.runbooks.library import DEMO, STARTER, seed_starter_library
from core.runbooks.render import Facts, render_plan
from core.runbooks.spec import RunbookSpec
from workflows.remediation.types import ExecutorKind

LIBRARY = (*STARTER, *DEMO)


@pytest.mark.parametrize("spec", LIBRARY, ids=[s.name for s in LIBRARY])
def test_each_library_runbook_passes_the_apis_checks_as_a_request_body(spec: RunbookSpec) -> None:
    body = {**spec.model_dump(mode="json"), "company_id": None}
    assert RunbookCreate.model_validate(body).stored() == spec.stored()


@pytest.mark.parametrize("spec", LIBRARY, ids=[s.name for s in LIBRARY])
def test_each_library_runbook_renders_for_a_typical_incident(spec: RunbookSpec) -> None:
    stored = Runbook(id="rb_1", **spec.stored())
    plan = render_plan(stored, Facts(asset_name="web-01", labels={"service": "nginx"}), "c1", [])
    assert len(plan.actions) == len(spec.actions)
    assert not any("{service}" in c or "{asset}" in c for c in plan.actions)


def test_the_starter_runbooks_are_real_ssm_runbooks_and_the_demo_ones_harmless_local_ones() -> None:
    assert {s.name for s in STARTER} == {
        "Disk cleanup",
        "Service restart",
        "Memory-leak mitigation",
        "Connection-pool reset",
    }
    assert all(s.executor == ExecutorKind.ssm and not s.demo for s in STARTER)
    assert all(s.executor == ExecutorKind.local and s.demo for s in DEMO)
    assert any(s.post_check and s.post_check.endswith("false") and s.rollback_actions for s in DEMO)


@pytest.fixture
async def sessions(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """The core tests' sessions on both databases, emptied of runbooks: each test sees only what it seeds."""
    async with sessions() as session, session.begin():
        await session.execute(delete(Runbook))
    return sessions


async def global_runbooks(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Runbook]:
    async with sessions() as session:
        rows = await session.execute(select(Runbook).where(col(Runbook.company_id).is_(None)))
        return {r.name: r for r in rows.scalars()}


async def seed(sessions: async_sessionmaker[AsyncSession], include_demo: bool) -> list[str]:
    async with sessions() as session, session.begin():
        return [r.name for r in await seed_starter_library(session, include_demo=include_demo)]


async def test_seeding_twice_adds_nothing_the_second_time(sessions: async_sessionmaker[AsyncSession]) -> None:
    assert sorted(await seed(sessions, include_demo=False)) == sorted(s.name for s in STARTER)
    assert await seed(sessions, include_demo=False) == []
    assert sorted(await seed(sessions, include_demo=True)) == sorted(s.name for s in DEMO)
    assert await seed(sessions, include_demo=True) == []
    assert set(await global_runbooks(sessions)) == {s.name for s in LIBRARY}
    async with sessions() as session:
        rows = await session.execute(select(AuditLog).where(AuditLog.action == "runbook.create"))
        assert sorted(e.object_id for e in rows.scalars()) == sorted(
            r.id for r in (await global_runbooks(sessions)).values()
        )


async def test_seeding_keeps_an_edited_runbook_as_it_is(sessions: async_sessionmaker[AsyncSession]) -> None:
    await seed(sessions, include_demo=False)
    async with sessions() as session, session.begin():
        edited = (await session.execute(select(Runbook).where(Runbook.name == "Disk cleanup"))).scalar_one()
        edited.timeout_seconds, edited.auto_approve = 900, False
    assert await seed(sessions, include_demo=False) == []
    kept = (await global_runbooks(sessions))["Disk cleanup"]
    assert (kept.timeout_seconds, kept.auto_approve) == (900, False)
