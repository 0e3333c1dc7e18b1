"""Notices name people. Texts the workflows write carry user ids ("assigned by usr_…"), which a reader of
an email or a Slack channel cannot look up: each id becomes the person's name where they have one."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core.db.models import User
from workflows.notifications.types import NotifyRequest

# User ids as core/db/models.py makes them (new_id("usr")).
USER_ID = re.compile(r"\busr_[0-9a-f]{16}\b")


async def with_names(session: AsyncSession, reqs: Sequence[NotifyRequest]) -> list[NotifyRequest]:
    """`reqs` with the user ids in their titles and bodies read as names (one query, none without ids).
    Someone without a name keeps their id: emails are not shown to colleagues (as in the directory)."""
    ids = {found for req in reqs for text in (req.title, req.body) for found in USER_ID.findall(text)}
    if not ids:
        return list(reqs)
    rows = await session.execute(select(User.id, User.name).where(col(User.id).in_(sorted(ids))))
    names = {user_id: name.strip() for user_id, name in rows.all() if name.strip()}

    def named(text: str) -> str:
        return USER_ID.sub(lambda m: names.get(m.group(0), m.group(0)), text)

    return [req.model_copy(update={"title": named(req.title), "body": named(req.body)}) for req in reqs]
