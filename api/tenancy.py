"""Tenant scoping in one place: every query for tenant data goes through here (the rules themselves are
core's, `core/accounts/actor.py`, which core's services apply too).

Anything of another tenant answers 404, exactly like something that does not exist, so ids of other
tenants cannot be probed. Routes take `ScopedCompany` / `ScopedUser` after their permission, so a
missing permission answers 403 first and the tenant check runs before the body is even validated.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Depends, HTTPException, Path
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from api.deps import CurrentPrincipal, Principal, SessionDep
from api.fields import NO_NUL
from core.accounts import actor as actor_scope
from core.db.models import Company, Incident, User

T = TypeVar("T")


class CompanyOwned(Protocol):
    """A table whose rows belong to one company each."""

    id: str
    company_id: str


Owned = TypeVar("Owned", bound=CompanyOwned)


def scoped(query: SelectOfScalar[T], company_column: Any, principal: Principal) -> SelectOfScalar[T]:
    return actor_scope.scoped(query, company_column, principal.actor)


def can_see_company(principal: Principal, company_id: str) -> bool:
    return principal.actor.can_see_company(company_id)


def visible_company_ids(principal: Principal, company_ids: Iterable[str]) -> list[str]:
    """The ones the caller may know about: a shared user's other companies stay hidden."""
    return principal.actor.visible_company_ids(company_ids)


def scoped_users(query: SelectOfScalar[T], principal: Principal) -> SelectOfScalar[T]:
    """Users who share a company with the caller (every user for the MSP)."""
    return actor_scope.scoped_users(query, principal.actor)


def not_found(kind: str, object_id: str) -> HTTPException:
    return HTTPException(404, f"no {kind} {object_id}")


async def owned_or_404(
    session: AsyncSession, principal: Principal, model: type[Owned], row_id: str, kind: str
) -> Owned:
    """The `model` row `row_id` if one of the caller's companies owns it, else 404 `no <kind> <row_id>`."""
    query = scoped(select(model), col(model.company_id), principal).where(col(model.id) == row_id)
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        raise not_found(kind, row_id)
    return row


async def company_or_404(session: AsyncSession, principal: Principal, company_id: str) -> Company:
    company = await session.get(Company, company_id) if can_see_company(principal, company_id) else None
    if company is None:
        raise not_found("company", company_id)
    return company


async def company_scope(
    session: AsyncSession, principal: Principal, company_id: str | None
) -> list[str] | None:
    """The companies a read across companies covers: the one asked for (404 unless the caller's), else
    every company of the caller; None means every company (the MSP)."""
    if company_id is not None:
        return [(await company_or_404(session, principal, company_id)).id]
    if principal.actor.sees_every_company:
        return None
    return sorted(principal.actor.company_ids)


async def user_or_404(session: AsyncSession, principal: Principal, user_id: str) -> User:
    query = scoped_users(select(User), principal).where(User.id == user_id)
    user = (await session.execute(query)).scalar_one_or_none()
    if user is None:
        raise not_found("user", user_id)
    return user


# Ids are at most 40 characters (`new_id`), and never hold NUL, which PostgreSQL could not even compare.
PathId = Annotated[str, Path(max_length=40, pattern=NO_NUL)]


async def _scoped_company(company_id: PathId, principal: CurrentPrincipal, session: SessionDep) -> Company:
    return await company_or_404(session, principal, company_id)


async def _scoped_user(user_id: PathId, principal: CurrentPrincipal, session: SessionDep) -> User:
    return await user_or_404(session, principal, user_id)


# The `{company_id}` / `{user_id}` of the path, loaded if the caller's tenants include it, else 404.
ScopedCompany = Annotated[Company, Depends(_scoped_company)]
ScopedUser = Annotated[User, Depends(_scoped_user)]


async def incident_or_404(session: AsyncSession, principal: Principal, incident_id: str) -> Incident:
    return await owned_or_404(session, principal, Incident, incident_id, "incident")


# Incident ids are workflow ids: "incident-<company>-<key hash>-<generation>", at most 120 characters.
IncidentPathId = Annotated[str, Path(max_length=120, pattern=NO_NUL)]


async def _scoped_incident(
    incident_id: IncidentPathId, principal: CurrentPrincipal, session: SessionDep
) -> Incident:
    return await incident_or_404(session, principal, incident_id)


# The `{incident_id}` of the path, loaded if one of the caller's companies owns it, else 404.
ScopedIncident = Annotated[Incident, Depends(_scoped_incident)]
