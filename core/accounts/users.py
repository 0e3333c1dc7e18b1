"""Creating user accounts and reading their memberships: shared by the CLI, the dev seed and the API.

Who may create and change which accounts is `core/accounts/service.py`."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from core.accounts.password_policy import check_password
from core.accounts.roles import Role
from core.db.models import Company, User, UserCompany, utcnow
from core.errors import AccountError, EmailTaken
from core.security import PasswordHashing


async def create_user(
    session: AsyncSession,
    passwords: PasswordHashing,
    *,
    email: str,
    password: str,
    role: Role,
    company_ids: list[str],
    name: str = "",
    category: str | None = None,
) -> User:
    email = email.strip().lower()
    check_password(password, email=email)
    if role != Role.msp_admin and not company_ids:
        raise AccountError(f"a {role.value} belongs to at least one company (--company ID)")
    if (await session.execute(select(User).where(User.email == email))).first():
        raise EmailTaken(f"a user with email {email} already exists")
    for company_id in company_ids:
        if await session.get(Company, company_id) is None:
            raise AccountError(f"no company with id {company_id}")
    password_hash = await passwords.hash(password)
    user = User(email=email, name=name, password_hash=password_hash, role=role.value, category=category)
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        # Another request took the email between our check and this insert.
        raise EmailTaken(f"a user with email {email} already exists") from None
    for company_id in company_ids:
        session.add(UserCompany(user_id=user.id, company_id=company_id))
    await session.flush()
    return user


async def company_ids_of(session: AsyncSession, user_id: str) -> set[str]:
    rows = await session.execute(select(UserCompany.company_id).where(UserCompany.user_id == user_id))
    return set(rows.scalars())


async def set_password(passwords: PasswordHashing, user: User, password: str) -> None:
    """A new password for `user`, under the same policy as at creation; the caller commits."""
    check_password(password, email=user.email)
    user.password_hash = await passwords.hash(password)
    user.password_changed_at = utcnow()
