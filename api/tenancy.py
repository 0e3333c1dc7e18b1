"""Tenant scoping in one place: every query for tenant data goes through `scoped`."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel.sql.expression import SelectOfScalar

from api.deps import Principal

T = TypeVar("T")


def scoped(query: SelectOfScalar[T], company_column: Any, principal: Principal) -> SelectOfScalar[T]:
    if principal.sees_every_company:
        return query
    return query.where(company_column.in_(sorted(principal.company_ids)))


def can_see_company(principal: Principal, company_id: str) -> bool:
    return principal.sees_every_company or company_id in principal.company_ids
