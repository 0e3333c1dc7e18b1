"""Tenant scoping in one place: every query for tenant data goes through here.

Anything of another tenant answers 404, exactly like something that does not exist, so ids of other
tenants cannot be probed. Routes take `ScopedCompany` / `ScopedUser` after their permission, so a
missing permission answers 403 first and the tenant check runs before the body is even validated.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Path
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from api.deps import CurrentPrincipal, Principal, SessionDep
from api.fields import NO_NUL
from core.db.models import Company, User, UserCompany

T = TypeVar("T")


def scoped(query: SelectOfScalar[T], company_column: Any, principal: Principal) -> SelectOfScalar[T]:
    if principal.sees_every_company:
        return query
    return query.where(company_column.in_(sorted(principal.company_ids)))


def can_see_company(principal: Principal, company_id: str) -> bool:
    return principal.sees_every_company or company_id in principal.company_ids


def visible_company_ids(principal: Principal, company_ids: Iterable[str]) -> list[str]:
    """The ones the caller may know about: a shared user's other companies stay hidden."""
    return sorted(c for c in company_ids if can_see_company(principal, c))


def scoped_users(query: SelectOfScalar[T], principal: Principal) -> SelectOfScalar[T]:
    """Users who share a company with the caller (every user for the MSP)."""
    if principal.sees_every_company:
        return query
    members = select(UserCompany.user_id).where(
        col(UserCompany.company_id).in_(sorted(principal.company_ids))
    )
    return query.where(col(User.id).in_(members))


def not_found(kind: str, object_id: str) -> HTTPException:
    return HTTPException(404, f"no {kind} {object_id}")


async def company_or_404(session: AsyncSession, principal: Principal, company_id: str) -> Company:
    company = await session.get(Company, company_id) if can_see_company(principal, company_id) else None
    if company is None:
        raise not_found("company", company_id)
    return company


async def user_or_404(session: AsyncSession, principal: Principal, user_id: str) -> User:
    query = scoped_users(select(User), principal).where(User.id == user_id)
    user = (await session.execute(query)).scalar_one_or_none()
    if user is None:
        raise not_found("user", user_id)
    return user


async def company_ids_of(session: AsyncSession, user_id: str) -> set[str]:
    rows = await session.execute(select(UserCompany.company_id).where(UserCompany.user_id == user_id))
    return set(rows.scalars())


# Ids are at most 40 characters (`new_id`), and never hold NUL, which PostgreSQL could not even compare.
PathId = Annotated[str, Path(max_length=40, pattern=NO_NUL)]


async def _scoped_company(company_id: PathId, principal: CurrentPrincipal, session: SessionDep) -> Company:
    return await company_or_404(session, principal, company_id)


async def _scoped_user(user_id: PathId, principal: CurrentPrincipal, session: SessionDep) -> User:
    return await user_or_404(session, principal, user_id)


# The `{company_id}` / `{user_id}` of the path, loaded if the caller's tenants include it, else 404.
ScopedCompany = Annotated[Company, Depends(_scoped_company)]
ScopedUser = Annotated[User, Depends(_scoped_user)]
