"""Who is who, for naming people on incidents, timelines and schedules: id, name and role of the members
of some companies, readable by every role. No emails, and nobody of other companies.

The MSP's own administrators are in every company's directory: they assign, approve and resolve
incidents of any company, so their names show on those incidents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, or_, select

from core.accounts.roles import Role
from core.db.models import User, UserCompany


@dataclass(frozen=True)
class DirectoryEntry:
    id: str
    name: str
    role: Role
    active: bool


async def directory(session: AsyncSession, company_ids: Sequence[str] | None) -> list[DirectoryEntry]:
    """Members of `company_ids` (every user when None) and the MSP administrators, by name then id."""
    query = select(col(User.id), col(User.name), col(User.role), col(User.disabled))
    if company_ids is not None:
        members = select(UserCompany.user_id).where(col(UserCompany.company_id).in_(sorted(company_ids)))
        query = query.where(or_(col(User.id).in_(members), col(User.role) == Role.msp_admin.value))
    rows = await session.execute(query.order_by(col(User.name), col(User.id)))
    return [DirectoryEntry(user_id, name, Role(role), not disabled) for user_id, name, role, disabled in rows]
