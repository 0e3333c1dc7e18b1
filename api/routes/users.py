"""Users of the MSP and of its client companies. The caller's own account is `api/me.py`.

Company admins manage the technicians of their own companies; only the MSP admin hands out the admin
roles (`MANAGEABLE_ROLES`). A user who also works for companies the caller does not manage can only
have their membership in the caller's companies changed by that caller.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from api.deps import Principal, ServicesDep, SessionDep
from api.fields import NO_NUL, NoNul
from api.permissions import CanManageUsers, CanReadUsers, can_manage_role
from api.tenancy import ScopedUser, can_see_company, company_ids_of, scoped_users, visible_company_ids
from core.accounts import users as accounts
from core.accounts.password_policy import MAX_LENGTH, pydantic_check
from core.accounts.roles import Role
from core.audit import record
from core.db.models import Company, User, UserCompany
from core.errors import AccountError, EmailTaken

router = APIRouter(prefix="/api/users", tags=["users"])

# Deliberately loose: one @, no spaces, a dot in the domain. Delivery proves the rest.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CATEGORY_EXAMPLES = "Network, Database, Security, Server, Application, Cloud"

Email = Annotated[str, Field(min_length=3, max_length=320), NoNul]
# The password policy (length, common and breached passwords) is core's, the same for the CLI and seed.
Password = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH), AfterValidator(pydantic_check)]
Category = Annotated[
    str,
    Field(min_length=1, max_length=60, description=f"what a technician handles: {CATEGORY_EXAMPLES}, …"),
    NoNul,
]
PersonName = Annotated[str, Field(max_length=200), NoNul]
CompanyIds = Annotated[list[Annotated[str, Field(min_length=1, max_length=40), NoNul]], Field(max_length=500)]


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    if not EMAIL.match(value):
        raise ValueError("is not an email address")
    return value


def _category(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.strip():
        raise ValueError("must not be blank; send null for none")
    return value.strip()


class UserBase(BaseModel):
    email: str
    name: str = ""
    role: Role
    category: str | None = None


class UserCreate(UserBase):
    model_config = ConfigDict(extra="forbid")

    email: Email
    name: PersonName = ""
    category: Category | None = None
    password: Password
    company_ids: CompanyIds = Field(default_factory=list)

    _email = field_validator("email")(_email)
    _category = field_validator("category")(_category)

    @model_validator(mode="after")
    def _company_users_have_a_company(self) -> UserCreate:
        if self.role != Role.msp_admin and not self.company_ids:
            raise ValueError(f"company_ids: a {self.role.value} belongs to at least one company")
        return self


class UserUpdate(BaseModel):
    """Only the fields sent change. `company_ids` replaces the memberships the caller can see."""

    model_config = ConfigDict(extra="forbid")

    email: Email | None = None
    name: PersonName | None = None
    role: Role | None = None
    category: Category | None = None
    company_ids: CompanyIds | None = None
    disabled: bool | None = None
    password: Password | None = None

    _email = field_validator("email")(_email)
    _category = field_validator("category")(_category)

    @model_validator(mode="after")
    def _no_nulls(self) -> UserUpdate:
        nulls = sorted(f for f in self.model_fields_set - {"category"} if getattr(self, f) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null; leave a field out to keep it")
        return self


class UserPublic(UserBase):
    id: str
    company_ids: list[str]
    disabled: bool
    created_at: datetime


ACCOUNT_FIELDS = ("email", "name", "role", "category", "disabled")


def to_public(user: User, company_ids: list[str]) -> UserPublic:
    return UserPublic(
        id=user.id,
        email=user.email,
        name=user.name,
        role=Role(user.role),
        category=user.category,
        company_ids=company_ids,
        disabled=user.disabled,
        created_at=user.created_at,
    )


# Also the answer about an email that a user beyond the caller's companies has: that user stays unseen.
OWN_COMPANIES_ONLY = "you can only add users to your own companies"


def _forbidden(reason: str) -> HTTPException:
    return HTTPException(403, reason)


def _check_may_manage(principal: Principal, user: User) -> None:
    if not can_manage_role(principal, Role(user.role)):
        raise _forbidden(f"a {principal.role.value} cannot manage a {user.role}")


def _check_may_grant(principal: Principal, role: Role) -> None:
    if not can_manage_role(principal, role):
        raise _forbidden(f"a {principal.role.value} cannot give the role {role.value}")


def _check_own_companies(principal: Principal, company_ids: list[str]) -> None:
    if principal.sees_every_company:
        return
    # The same answer whether or not the other companies exist, so their ids cannot be probed.
    if not set(company_ids) <= principal.company_ids:
        raise _forbidden(OWN_COMPANIES_ONLY)


async def _email_taken(services: ServicesDep, principal: Principal, email: str) -> HTTPException | EmailTaken:
    """What a caller learns about an email that another user has: the MSP admin, and a company admin
    about a user of their own companies, that it is taken (409); a company admin about anyone else only
    the refusal they get for any user beyond their companies, so other tenants' users cannot be probed."""
    holder = scoped_users(select(User.id), principal).where(User.email == email)
    # A session of its own: the request's may be in a failed transaction after a lost race for the email.
    async with services.sessions() as own:
        visible = (await own.execute(holder)).first()
    if visible:
        return EmailTaken(f"a user with email {email} already exists")
    return _forbidden(OWN_COMPANIES_ONLY)


async def _check_companies_exist(session: SessionDep, company_ids: set[str]) -> None:
    rows = await session.execute(select(Company.id).where(col(Company.id).in_(sorted(company_ids))))
    missing = company_ids - set(rows.scalars())
    if missing:
        raise AccountError(f"no company with id {', '.join(sorted(missing))}")


async def _audit(
    session: SessionDep,
    principal: Principal,
    action: str,
    user_id: str,
    company_ids: set[str],
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    # One entry per company the user is (or was) in, so each company's audit trail shows it.
    targets: list[str | None] = [*sorted(company_ids)] or [None]
    for company_id in targets:
        await record(
            session,
            actor=principal.user.id,
            action=action,
            company_id=company_id,
            object_type="user",
            object_id=user_id,
            before=before,
            after=after,
        )


@router.get("", response_model=list[UserPublic])
async def list_users(
    principal: CanReadUsers,
    session: SessionDep,
    company_id: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    role: Role | None = None,
    category: Annotated[str | None, Query(max_length=60, pattern=NO_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[UserPublic]:
    if company_id and not can_see_company(principal, company_id):
        return []  # not "the users we share with that company": that would tell who else works there
    query = scoped_users(select(User), principal)
    if company_id:
        members = select(UserCompany.user_id).where(UserCompany.company_id == company_id)
        query = query.where(col(User.id).in_(members))
    if role:
        query = query.where(User.role == role.value)
    if category:
        query = query.where(User.category == category)
    users = list(
        (await session.execute(query.order_by(col(User.email)).limit(limit).offset(offset))).scalars()
    )
    memberships: dict[str, list[str]] = {u.id: [] for u in users}
    rows = await session.execute(
        select(UserCompany.user_id, UserCompany.company_id).where(col(UserCompany.user_id).in_(memberships))
    )
    for user_id, member_of in rows:
        memberships[user_id].append(member_of)
    return [to_public(u, visible_company_ids(principal, memberships[u.id])) for u in users]


@router.post("", response_model=UserPublic, status_code=201, responses={409: {"description": "email taken"}})
async def create_user(
    principal: CanManageUsers, body: UserCreate, session: SessionDep, services: ServicesDep
) -> UserPublic:
    _check_may_grant(principal, body.role)
    _check_own_companies(principal, body.company_ids)
    try:
        user = await accounts.create_user(
            session,
            services.passwords,
            email=body.email,
            password=body.password,
            role=body.role,
            company_ids=sorted(set(body.company_ids)),
            name=body.name,
            category=body.category,
        )
    except EmailTaken:
        raise await _email_taken(services, principal, body.email) from None
    after = {**_account_of(user), "company_ids": sorted(set(body.company_ids))}
    await _audit(session, principal, "user.create", user.id, set(body.company_ids), after=after)
    await session.commit()
    return to_public(user, visible_company_ids(principal, body.company_ids))


@router.get("/{user_id}", response_model=UserPublic)
async def get_user(principal: CanReadUsers, user: ScopedUser, session: SessionDep) -> UserPublic:
    return to_public(user, visible_company_ids(principal, await company_ids_of(session, user.id)))


@router.put("/{user_id}", response_model=UserPublic, responses={409: {"description": "email taken"}})
async def update_user(
    principal: CanManageUsers, user: ScopedUser, body: UserUpdate, session: SessionDep, services: ServicesDep
) -> UserPublic:
    _check_may_manage(principal, user)
    changes = body.model_dump(mode="json", exclude_unset=True)
    current = await company_ids_of(session, user.id)
    elsewhere = set() if principal.sees_every_company else current - principal.company_ids
    if elsewhere and set(changes) - {"company_ids"}:
        raise _forbidden(
            "this user also works for companies you do not manage; you can change only their "
            "membership in your companies"
        )
    if user.id == principal.user.id and {"role", "disabled"} & set(changes):
        raise AccountError("you cannot change your own role or disable yourself")
    if "role" in changes:
        _check_may_grant(principal, body.role or Role(user.role))

    wanted = current
    if body.company_ids is not None:
        _check_own_companies(principal, body.company_ids)
        await _check_companies_exist(session, set(body.company_ids))
        wanted = elsewhere | set(body.company_ids)
    role = body.role or Role(user.role)
    if role != Role.msp_admin and not wanted:
        raise AccountError(f"company_ids: a {role.value} belongs to at least one company")
    if body.email is not None and body.email != user.email:
        taken = await session.execute(select(User.id).where(User.email == body.email, User.id != user.id))
        if taken.first():
            raise await _email_taken(services, principal, body.email)

    before = _account_of(user)
    for field in ACCOUNT_FIELDS:
        if field in changes:
            setattr(user, field, changes[field])
    after = _account_of(user)
    if body.password is not None:
        await accounts.set_password(services.passwords, user, body.password)
    await session.execute(
        delete(UserCompany).where(
            col(UserCompany.user_id) == user.id, col(UserCompany.company_id).in_(sorted(current - wanted))
        )
    )
    session.add_all(UserCompany(user_id=user.id, company_id=c) for c in sorted(wanted - current))
    try:
        await session.flush()
    except IntegrityError:
        raise await _email_taken(services, principal, body.email or "") from None

    changed_before = {k: v for k, v in before.items() if after[k] != v}
    changed_after = {k: after[k] for k in changed_before}
    if wanted != current:
        changed_before["company_ids"], changed_after["company_ids"] = sorted(current), sorted(wanted)
    if body.password is not None:
        # Never the password or its hash: only that it changed.
        changed_after["password_changed"] = True
    if changed_after:
        await _audit(
            session,
            principal,
            "user.update",
            user.id,
            current | wanted,
            before=changed_before,
            after=changed_after,
        )
    await session.commit()
    return to_public(user, visible_company_ids(principal, wanted))


@router.delete("/{user_id}", status_code=204)
async def delete_user(principal: CanManageUsers, user: ScopedUser, session: SessionDep) -> Response:
    """Company admins take the user out of their companies; a user left in no company is disabled.

    The MSP admin disables the account. Accounts are never erased: incidents and the audit trail refer
    to them, and `PUT {"disabled": false}` brings one back. The email stays taken.
    """
    _check_may_manage(principal, user)
    if user.id == principal.user.id:
        raise AccountError("you cannot delete yourself")
    current = await company_ids_of(session, user.id)
    remaining = current if principal.sees_every_company else current - principal.company_ids
    before: dict[str, Any] = {
        "disabled": user.disabled,
        "company_ids": visible_company_ids(principal, current),
    }
    after: dict[str, Any] = {}
    if remaining != current:
        await session.execute(
            delete(UserCompany).where(
                col(UserCompany.user_id) == user.id,
                col(UserCompany.company_id).in_(sorted(current - remaining)),
            )
        )
        after["company_ids"] = visible_company_ids(principal, remaining)
    if principal.sees_every_company or not remaining:
        user.disabled = True
        after["disabled"] = True
    await _audit(session, principal, "user.delete", user.id, current, before=before, after=after)
    await session.commit()
    return Response(status_code=204)


def _account_of(user: User) -> dict[str, Any]:
    return {f: getattr(user, f) for f in ACCOUNT_FIELDS}
