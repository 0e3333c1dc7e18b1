"""Database engine and sessions for PostgreSQL (production) and SQLite (embedded default)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def create_engine(database_url: str, *, single_connection: bool = False) -> AsyncEngine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            _private_file(Path(url.database))
        pool: dict[str, Any] = {"pool_size": 1, "max_overflow": 0} if single_connection else {}
        engine = create_async_engine(url, connect_args={"timeout": 30}, **pool)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _private_file(path: Path) -> None:
    """Creates the database file readable by its owner only: it holds password hashes, sessions and the
    encrypted HMAC secrets. SQLite gives its -wal and -shm files the database file's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # an existing file keeps the permissions it has
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL + synchronous=NORMAL survives a process crash and lets readers run beside the writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def hot_path_engine(database_url: str, shared: AsyncEngine) -> AsyncEngine:
    """The engine for the busiest writers (alert intake, incident projections).

    SQLite has one writer at a time, and a lock conflict between pooled connections is settled by its
    busy handler, which sleeps for up to tens of milliseconds: under load that became most of a
    webhook's latency. On SQLite the hot writers therefore share one connection of their own and
    queue for it without sleeping. PostgreSQL takes concurrent writers as they come.
    """
    if make_url(database_url).get_backend_name() == "sqlite":
        return create_engine(database_url, single_connection=True)
    return shared


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
