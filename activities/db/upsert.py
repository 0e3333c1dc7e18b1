"""INSERT ... ON CONFLICT for both PostgreSQL and SQLite, which spell it the same way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def insert_for(dialect_name: str, table: Table) -> Any:
    module = postgresql if dialect_name == "postgresql" else sqlite
    return module.insert(table)


def upsert(
    dialect_name: str,
    table: Table,
    values: dict[str, Any] | Sequence[dict[str, Any]],
    *,
    key: Sequence[str],
    where: Any = None,
) -> Insert:
    stmt = insert_for(dialect_name, table).values(values)
    first = values if isinstance(values, dict) else values[0]
    updates = {name: stmt.excluded[name] for name in first if name not in key}
    result: Insert = stmt.on_conflict_do_update(index_elements=list(key), set_=updates, where=where)
    return result


def insert_ignoring_conflicts(dialect_name: str, table: Table, values: Sequence[dict[str, Any]]) -> Insert:
    result: Insert = insert_for(dialect_name, table).values(list(values)).on_conflict_do_nothing()
    return result
