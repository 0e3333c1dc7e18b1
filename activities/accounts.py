"""Creating companies and users: shared by the CLI, the dev seed and the API."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from activities.db.models import Company, CompanyApiKey, User, UserCompany
from activities.secrets import SecretBox, api_key_hash, hash_password, new_api_key, new_hmac_secret
from workflows.types import CorrelationPolicy


class Role(StrEnum):
    msp_admin = "msp_admin"
    company_admin = "company_admin"
    technician = "technician"


@dataclass(frozen=True)
class IssuedCompany:
    """A new company with its credentials in clear text: shown once, never stored that way."""

    id: str
    api_key: str
    hmac_secret: str


class AccountError(ValueError):
    pass


async def create_company(
    session: AsyncSession,
    box: SecretBox,
    name: str,
    *,
    policy: CorrelationPolicy | None = None,
    critical_assets: list[str] | None = None,
) -> IssuedCompany:
    api_key, hmac_secret = new_api_key(), new_hmac_secret()
    company = Company(
        name=name,
        hmac_secret_encrypted=box.encrypt(hmac_secret),
        policy=(policy or CorrelationPolicy()).model_dump(mode="json"),
        critical_assets=critical_assets or [],
    )
    session.add(company)
    await session.flush()
    session.add(CompanyApiKey(company_id=company.id, key_hash=api_key_hash(api_key), prefix=api_key[:10]))
    await session.flush()
    return IssuedCompany(id=company.id, api_key=api_key, hmac_secret=hmac_secret)


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    role: Role,
    company_ids: list[str],
    name: str = "",
    category: str | None = None,
) -> User:
    email = email.strip().lower()
    if len(password) < 8:
        raise AccountError("password must have at least 8 characters")
    if role != Role.msp_admin and not company_ids:
        raise AccountError(f"a {role.value} belongs to at least one company (--company ID)")
    if (await session.execute(select(User).where(User.email == email))).first():
        raise AccountError(f"a user with email {email} already exists")
    for company_id in company_ids:
        if await session.get(Company, company_id) is None:
            raise AccountError(f"no company with id {company_id}")
    user = User(
        email=email, name=name, password_hash=hash_password(password), role=role.value, category=category
    )
    session.add(user)
    await session.flush()
    for company_id in company_ids:
        session.add(UserCompany(user_id=user.id, company_id=company_id))
    await session.flush()
    return user
