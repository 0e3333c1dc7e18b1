"""A technician on call around the clock for each benchmark tenant, so that auto-assignment, where a
tenant's policy has it, assigns and notifies every new incident as it would for a staffed MSP client
(with nobody on call it would only look and find no one)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.roles import Role
from core.db.models import OncallSchedule, User, UserCompany


async def add_on_call_technician(session: AsyncSession, company_id: str) -> str:
    """A technician of the company (no password: nobody signs in as them) on call at every instant."""
    user = User(
        email=f"bench-oncall-{uuid.uuid4().hex[:8]}@example.com", password_hash="-", role=Role.technician
    )
    session.add(user)
    await session.flush()
    session.add(UserCompany(user_id=user.id, company_id=company_id))
    layer = {
        "name": "around the clock",
        "rotation": "daily",
        "handoff_time": "00:00",
        "starts_on": "2020-01-01",
        "participants": [user.id],
    }
    session.add(OncallSchedule(company_id=company_id, name="bench on call", layers=[layer]))
    return user.id
