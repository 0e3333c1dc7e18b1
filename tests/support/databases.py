"""Test databases: one migrated template per session, and cheap copies of it for modules or tests."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from core.db.migrate import upgrade_to_head

POSTGRES_ADMIN = os.environ.get("AW_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def _url(name: str) -> str:
    base = POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


@asynccontextmanager
async def _created(name: str, template: str | None = None) -> AsyncIterator[None]:
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        yield
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@asynccontextmanager
async def migrated_template() -> AsyncIterator[str]:
    """A database migrated with Alembic like production, closed to connections, dropped after."""
    name = f"aw_tpl_{secrets.token_hex(4)}"
    async with _created(name):
        await asyncio.to_thread(upgrade_to_head, _url(name))
        # CREATE DATABASE … TEMPLATE refuses while anyone is connected to the template; no one can now.
        admin = await asyncpg.connect(POSTGRES_ADMIN)
        try:
            await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        finally:
            await admin.close()
        yield name


@asynccontextmanager
async def cloned_database(template: str) -> AsyncIterator[str]:
    """The URL of a database of its own, copied from `template` (a fraction of a second), dropped after."""
    name = f"aw_test_{secrets.token_hex(4)}"
    async with _created(name, template):
        yield _url(name)
