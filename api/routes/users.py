"""Users of the MSP and of its client companies. The caller's own account is `api/routes/me.py`.

Who may manage whom, and the writes and audit of it, are core's: `core/accounts/service.py`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from api.deps import ServicesDep, SessionDep
from api.fields import NO_NUL, NoNul
from api.permissions import CanManageUsers, CanReadIncidents, CanReadUsers
from api.tenancy import ScopedUser, company_scope, visible_company_ids
from core.accounts import service as accounts
from core.accounts.directory import directory
from core.accounts.password_policy import MAX_LENGTH, pydantic_check
from core.accounts.roles import Role
from core.accounts.service import UserChanges
from core.accounts.users import company_ids_of
from core.db.models import User

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
    found = await accounts.visible_users(
        session,
        principal.actor,
        company_id=company_id,
        role=role,
        category=category,
        limit=limit,
        offset=offset,
    )
    return [to_public(a.user, visible_company_ids(principal, a.company_ids)) for a in found]


class DirectoryEntryPublic(BaseModel):
    id: str
    name: str = Field(description="may be empty: show the id then")
    role: Role
    active: bool = Field(description="false for a disabled account: named on history, never assignable")


@router.get("/directory", response_model=list[DirectoryEntryPublic])
async def user_directory(
    principal: CanReadIncidents,
    session: SessionDep,
    company_id: Annotated[
        str | None,
        Query(max_length=40, pattern=NO_NUL, description="one company; default: every company of yours"),
    ] = None,
) -> list[DirectoryEntryPublic]:
    """Names for the user ids on incidents, timelines and schedules, for every role: the members of your
    companies and the MSP administrators; no emails. Another tenant's `company_id` answers 404."""
    scope = await company_scope(session, principal, company_id)
    entries = await directory(session, scope)
    return [DirectoryEntryPublic(id=e.id, name=e.name, role=e.role, active=e.active) for e in entries]


@router.post("", response_model=UserPublic, status_code=201, responses={409: {"description": "email taken"}})
async def create_user(
    principal: CanManageUsers, body: UserCreate, session: SessionDep, services: ServicesDep
) -> UserPublic:
    account = await accounts.create(
        session,
        services.sessions,
        services.passwords,
        principal.actor,
        email=body.email,
        password=body.password,
        role=body.role,
        company_ids=body.company_ids,
        name=body.name,
        category=body.category,
    )
    return to_public(account.user, visible_company_ids(principal, body.company_ids))


@router.get("/{user_id}", response_model=UserPublic)
async def get_user(principal: CanReadUsers, user: ScopedUser, session: SessionDep) -> UserPublic:
    return to_public(user, visible_company_ids(principal, await company_ids_of(session, user.id)))


@router.put("/{user_id}", response_model=UserPublic, responses={409: {"description": "email taken"}})
async def update_user(
    principal: CanManageUsers, user: ScopedUser, body: UserUpdate, session: SessionDep, services: ServicesDep
) -> UserPublic:
    changes = UserChanges(sent=frozenset(body.model_fields_set), **body.model_dump(exclude_unset=True))
    account = await accounts.update(
        session, services.sessions, services.passwords, principal.actor, user, changes
    )
    return to_public(account.user, visible_company_ids(principal, account.company_ids))


@router.delete("/{user_id}", status_code=204)
async def delete_user(principal: CanManageUsers, user: ScopedUser, session: SessionDep) -> Response:
    """Company admins take the user out of their companies; a user left in no company is disabled.

    The MSP admin disables the account. Accounts are never erased: incidents and the audit trail refer
    to them, and `PUT {"disabled": false}` brings one back. The email stays taken.
    """
    await accounts.remove(session, principal.actor, user)
    return Response(status_code=204)
