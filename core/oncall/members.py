"""Who may be on call for, be notified about, or be assigned an incident of a company: its active members,
and the MSP's administrators (msp staff belong to no company and serve all of them)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core.accounts.roles import Role
from core.db.models import User, UserCompany
from core.errors import AssigneeRefused, OncallInvalid


async def eligible_users(session: AsyncSession, company_id: str, user_ids: Iterable[str]) -> dict[str, User]:
    """Those of `user_ids` who are active and belong to the company (or are msp staff), by id."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    members = select(UserCompany.user_id).where(UserCompany.company_id == company_id)
    query = select(User).where(
        col(User.id).in_(wanted),
        col(User.disabled).is_(False),
        (col(User.role) == Role.msp_admin.value) | col(User.id).in_(members),
    )
    return {user.id: user for user in (await session.execute(query)).scalars()}


async def users_with_role(session: AsyncSession, company_id: str, role: Role) -> list[User]:
    """The company's active users of `role` (every active msp_admin for msp_admin), by email."""
    query = select(User).where(User.role == role.value, col(User.disabled).is_(False))
    if role != Role.msp_admin:
        members = select(UserCompany.user_id).where(UserCompany.company_id == company_id)
        query = query.where(col(User.id).in_(members))
    return list((await session.execute(query.order_by(col(User.email)))).scalars())


async def check_members(session: AsyncSession, company_id: str, user_ids: Iterable[str]) -> None:
    """OncallInvalid naming the first of `user_ids` who cannot be on call for the company."""
    wanted = sorted(set(user_ids))
    eligible = await eligible_users(session, company_id, wanted)
    refused = [u for u in wanted if u not in eligible]
    if refused:
        # The same words whether the user exists elsewhere or not: another tenant's ids are not probed.
        raise OncallInvalid(
            f"user {refused[0]} is not an active member of company {company_id}"
            + (f" (nor are {', '.join(refused[1:])})" if len(refused) > 1 else "")
        )


async def assignable_user(session: AsyncSession, company_id: str, user_id: str) -> User:
    """The user an incident of the company may be assigned to by hand; AssigneeRefused with the reason."""
    user = await session.get(User, user_id)
    if user is not None and user.role != Role.msp_admin.value:
        membership = await session.get(UserCompany, (user_id, company_id))
        user = user if membership is not None else None
    if user is None:
        raise AssigneeRefused(f"user {user_id} is not a member of company {company_id}")
    if user.disabled:
        raise AssigneeRefused(f"user {user_id} is disabled")
    return user


async def approvers_for(session: AsyncSession, company_id: str, required_role: str) -> list[str]:
    """Whom an approval needing `required_role` asks: the company's active users of exactly that role (its
    technicians, or its company admins), else the MSP's administrators, who may approve anything."""
    wanted = [Role(required_role)]
    if wanted[0] != Role.msp_admin:
        wanted.append(Role.msp_admin)
    for role in wanted:
        found = await users_with_role(session, company_id, role)
        if found:
            return sorted(user.id for user in found)
    return []
