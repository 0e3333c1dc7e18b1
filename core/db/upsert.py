"""INSERT ... ON CONFLICT for both PostgreSQL and SQLite, which spell it the same way."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
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


@lru_cache(maxsize=64)
def upsert_statement(
    dialect_name: str, table: Table, key: tuple[str, ...], only_if_newer: str | None = None
) -> Insert:
    """An upsert of every column, built once and executed with parameter lists (executemany).

    `only_if_newer` names an integer column: an existing row is replaced only by a larger value.
    """
    stmt = insert_for(dialect_name, table)
    updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in key}
    where = table.c[only_if_newer] < stmt.excluded[only_if_newer] if only_if_newer else None
    result: Insert = stmt.on_conflict_do_update(index_elements=list(key), set_=updates, where=where)
    return result


def insert_ignoring_conflicts(dialect_name: str, table: Table, values: Sequence[dict[str, Any]]) -> Insert:
    result: Insert = insert_for(dialect_name, table).values(list(values)).on_conflict_do_nothing()
    return result
