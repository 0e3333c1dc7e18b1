"""Who asks core to change something: what its rules need to know of the signed-in user.

The API builds one from its `Principal`; core never sees the HTTP side.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from core.accounts.roles import MANAGEABLE_ROLES, Role
from core.db.models import User, UserCompany

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    user_id: str
    role: Role
    company_ids: frozenset[str]

    @property
    def sees_every_company(self) -> bool:
        return self.role == Role.msp_admin

    def can_see_company(self, company_id: str) -> bool:
        return self.sees_every_company or company_id in self.company_ids

    def visible_company_ids(self, company_ids: Iterable[str]) -> list[str]:
        """The ones the actor may know about: a shared user's other companies stay hidden."""
        return sorted(c for c in company_ids if self.can_see_company(c))

    def can_manage_role(self, role: Role) -> bool:
        return role in MANAGEABLE_ROLES[self.role]


def scoped(query: SelectOfScalar[T], company_column: Any, actor: Actor) -> SelectOfScalar[T]:
    """`query` narrowed to rows of the actor's companies (every row for the MSP)."""
    if actor.sees_every_company:
        return query
    return query.where(company_column.in_(sorted(actor.company_ids)))


def scoped_users(query: SelectOfScalar[T], actor: Actor) -> SelectOfScalar[T]:
    """`query` narrowed to users who share a company with the actor (every user for the MSP)."""
    if actor.sees_every_company:
        return query
    members = select(UserCompany.user_id).where(col(UserCompany.company_id).in_(sorted(actor.company_ids)))
    return query.where(col(User.id).in_(members))
