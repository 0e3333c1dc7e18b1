"""The signed-in user's changes to their own account, each audited: name and password."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.accounts import auth_sessions
from core.accounts.auth_sessions import Reason
from core.accounts.users import set_password
from core.db.models import User
from core.security import PasswordHashing


async def rename(session: AsyncSession, user: User, name: str) -> User:
    """`user` with `name`, committed and audited."""
    before = {"name": user.name}
    user.name = name
    session.add(user)
    await audit.record(
        session,
        actor=user.id,
        action="user.profile_updated",
        company_id=None,
        object_type="user",
        object_id=user.id,
        before=before,
        after={"name": user.name},
    )
    await session.commit()
    return user


async def replace_password(
    session: AsyncSession,
    passwords: PasswordHashing,
    user: User,
    new_password: str,
    *,
    now: datetime,
    keep_session: str | None,
) -> list[str]:
    """The ids of the user's sessions signed out once `new_password` was set (the caller has verified the
    current one); `keep_session`, the device asking, stays signed in."""
    await set_password(passwords, user, new_password)
    session.add(user)
    ended = await auth_sessions.revoke_all(
        session, user_id=user.id, reason=Reason.password_changed, now=now, keep=keep_session
    )
    await audit.record(
        session,
        actor=user.id,
        action="user.password_changed",
        company_id=None,
        object_type="user",
        object_id=user.id,
        after={"sessions_revoked": ended},
    )
    await session.commit()
    return ended
