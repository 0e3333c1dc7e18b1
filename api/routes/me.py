"""The signed-in user's own profile and password; the writes and their audit are core's,
`core/accounts/profile.py`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from api.deps import Principal, ServicesDep, SessionDep
from api.fields import NoNul
from api.permissions import ROLE_PERMISSIONS, CanManageSelf
from api.routes.auth import check_password, device_of, reserve_attempt
from core.accounts import login_throttle, profile
from core.accounts.password_policy import MAX_LENGTH, pydantic_check

router = APIRouter(prefix="/api/users/me", tags=["me"])

WRONG_CURRENT_PASSWORD = "current password is wrong"  # noqa: S105 (a message, not a secret)


class Me(BaseModel):
    id: str
    email: str
    name: str
    role: str
    category: str | None
    company_ids: list[str]
    permissions: list[str] = Field(description="what the role may do; the web UI shows only these actions")
    created_at: datetime
    password_changed_at: datetime | None


class ProfileUpdate(BaseModel):
    """Only the name: role, email and companies are changed by an administrator."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200), NoNul]

    @field_validator("name")
    @classmethod
    def _stripped(cls, value: str) -> str:
        # Stripped after the length check, so the limit applies to what was sent, as the schema says.
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: Annotated[str, Field(min_length=1, max_length=MAX_LENGTH), AfterValidator(pydantic_check)]


def _me(principal: Principal) -> Me:
    user = principal.user
    return Me(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        category=user.category,
        company_ids=sorted(principal.company_ids),
        permissions=sorted(p.value for p in ROLE_PERMISSIONS[principal.role]),
        created_at=user.created_at,
        password_changed_at=user.password_changed_at,
    )


@router.get("", response_model=Me)
async def read_me(principal: CanManageSelf) -> Me:
    return _me(principal)


@router.put("", response_model=Me)
async def update_me(body: ProfileUpdate, principal: CanManageSelf, session: SessionDep) -> Me:
    await profile.rename(session, principal.user, body.name)
    return _me(principal)


@router.post(
    "/password",
    status_code=204,
    response_class=Response,
    responses={
        400: {"description": WRONG_CURRENT_PASSWORD},
        429: {"description": "too many wrong passwords"},
    },
)
async def change_password(
    body: PasswordChange,
    request: Request,
    principal: CanManageSelf,
    services: ServicesDep,
    session: SessionDep,
) -> None:
    """Sets a new password and signs every other device out; this one stays signed in."""
    user = principal.user
    # Guessing the current password with a stolen access token is throttled like guessing it at sign-in.
    reservation = await reserve_attempt(services, user.email, device_of(request))
    # Ends the transaction that loaded the caller, so no connection is held while passwords are hashed.
    await session.commit()
    valid = await check_password(services, reservation, user.password_hash, body.current_password)
    now = datetime.now(UTC)
    if not valid:
        await login_throttle.record_failure(session, reservation, now, services.settings.login_backoff_base_s)
        await session.commit()
        raise HTTPException(400, WRONG_CURRENT_PASSWORD)
    await login_throttle.record_success(session, reservation)
    await session.commit()
    if body.new_password == body.current_password:
        raise HTTPException(400, "new password must differ from the current one")
    await profile.replace_password(
        session, services.passwords, user, body.new_password, now=now, keep_session=principal.session_id
    )
