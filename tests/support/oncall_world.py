"""Companies, users, schedules and incidents written straight to the database, for on-call tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.accounts.roles import Role
from core.db.engine import create_engine, session_factory
from core.db.models import Company, EscalationChain, OncallSchedule, User, UserCompany
from core.settings import Settings
from tests.support.incident_rows import stored_incident


def always(user_id: str, *, name: str | None = None) -> dict[str, Any]:
    """A layer that has `user_id` on call at every instant since 2020."""
    return {
        "name": name or f"layer {user_id}",
        "rotation": "daily",
        "handoff_time": "00:00",
        "starts_on": "2020-01-01",
        "participants": [user_id],
    }


@dataclass
class OnCallWorld:
    sessions: async_sessionmaker[AsyncSession]

    async def company(self, policy: dict[str, Any] | None = None) -> str:
        async with self.sessions() as session, session.begin():
            company = Company(name=f"Acme {uuid.uuid4().hex[:6]}", policy=policy or {})
            session.add(company)
        return company.id

    async def user(
        self,
        company_ids: list[str],
        *,
        role: Role = Role.technician,
        category: str | None = None,
        disabled: bool = False,
    ) -> str:
        async with self.sessions() as session, session.begin():
            user = User(
                email=f"{role.value}-{uuid.uuid4().hex[:8]}@example.com",
                password_hash="-",
                role=role.value,
                category=category,
                disabled=disabled,
            )
            session.add(user)
            await session.flush()
            for company_id in company_ids:
                session.add(UserCompany(user_id=user.id, company_id=company_id))
        return user.id

    async def schedule(
        self,
        company_id: str,
        *layers: dict[str, Any],
        name: str = "",
        overrides: list[dict[str, Any]] | None = None,
    ) -> str:
        async with self.sessions() as session, session.begin():
            schedule = OncallSchedule(
                company_id=company_id,
                name=name or f"schedule {uuid.uuid4().hex[:6]}",
                layers=list(layers),
                overrides=overrides or [],
            )
            session.add(schedule)
        return schedule.id

    async def on_call(self, company_id: str, *user_ids: str) -> None:
        """Each of `user_ids` on call all the time, each in a schedule of its own (named in order)."""
        for index, user_id in enumerate(user_ids):
            await self.schedule(company_id, always(user_id), name=f"{index:02d} {user_id}")

    async def chain(self, company_id: str, levels: list[dict[str, Any]]) -> str:
        async with self.sessions() as session, session.begin():
            chain = EscalationChain(company_id=company_id, name="Chain", levels=levels)
            session.add(chain)
        return chain.id

    async def incident(
        self, company_id: str, assigned_to: str | None, *, status: str = "new", minutes_ago: int = 0
    ) -> str:
        at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        incident_id = f"incident-{uuid.uuid4().hex[:12]}"
        async with self.sessions() as session, session.begin():
            session.add(
                stored_incident(
                    incident_id,
                    company_id,
                    at,
                    status=status,
                    signature="disk_space_critical",
                    asset_name="db-01",
                    assigned_to=assigned_to,
                )
            )
        return incident_id


@asynccontextmanager
async def oncall_world(settings: Settings) -> AsyncIterator[OnCallWorld]:
    engine = create_engine(settings.database_url)
    try:
        yield OnCallWorld(session_factory(engine))
    finally:
        await engine.dispose()
