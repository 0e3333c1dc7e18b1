"""Managing other users' accounts: who may change what, the writes, and the audit trail of them.

Company admins manage the technicians of their own companies; only the MSP admin hands out the admin
roles (`MANAGEABLE_ROLES`). A user who also works for companies the actor does not manage can only have
their membership in the actor's companies changed by that actor. The caller's own account is not managed
here (api/routes/me.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from core.accounts import auth_sessions, users
from core.accounts.actor import Actor, scoped_users
from core.accounts.roles import Role
from core.audit import record
from core.db.models import Company, User, UserCompany, utcnow
from core.errors import AccountError, EmailTaken, Forbidden
from core.security import PasswordHashing

ACCOUNT_FIELDS = ("email", "name", "role", "category", "disabled")

# Also the answer about an email that a user beyond the actor's companies has: that user stays unseen.
OWN_COMPANIES_ONLY = "you can only add users to your own companies"


@dataclass(frozen=True)
class UserAccount:
    user: User
    company_ids: frozenset[str]


@dataclass(frozen=True)
class UserChanges:
    """The fields a caller sent; the others keep their values. Only `category` may be sent as None."""

    sent: frozenset[str]
    email: str | None = None
    name: str | None = None
    role: Role | None = None
    category: str | None = None
    company_ids: list[str] | None = None
    disabled: bool | None = None
    password: str | None = None


async def visible_users(
    session: AsyncSession,
    actor: Actor,
    *,
    company_id: str | None = None,
    role: Role | None = None,
    category: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[UserAccount]:
    """The users who share a company with the actor (all for the MSP), by email, with those filters."""
    if company_id and not actor.can_see_company(company_id):
        return []  # not "the users we share with that company": that would tell who else works there
    query = scoped_users(select(User), actor)
    if company_id:
        members = select(UserCompany.user_id).where(UserCompany.company_id == company_id)
        query = query.where(col(User.id).in_(members))
    if role:
        query = query.where(User.role == role.value)
    if category:
        query = query.where(User.category == category)
    found = list(
        (await session.execute(query.order_by(col(User.email)).limit(limit).offset(offset))).scalars()
    )
    memberships: dict[str, set[str]] = {u.id: set() for u in found}
    rows = await session.execute(
        select(UserCompany.user_id, UserCompany.company_id).where(col(UserCompany.user_id).in_(memberships))
    )
    for user_id, member_of in rows:
        memberships[user_id].add(member_of)
    return [UserAccount(u, frozenset(memberships[u.id])) for u in found]


async def create(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    passwords: PasswordHashing,
    actor: Actor,
    *,
    email: str,
    password: str,
    role: Role,
    company_ids: list[str],
    name: str = "",
    category: str | None = None,
) -> UserAccount:
    """The new user, committed with its audit entries. `sessions` answers a lost race for the email."""
    _check_may_grant(actor, role)
    _check_own_companies(actor, company_ids)
    members = sorted(set(company_ids))
    try:
        user = await users.create_user(
            session,
            passwords,
            email=email,
            password=password,
            role=role,
            company_ids=members,
            name=name,
            category=category,
        )
    except EmailTaken:
        raise await _email_taken_refusal(sessions, actor, email) from None
    after = {**_account_of(user), "company_ids": members}
    await _audit(session, actor, "user.create", user.id, set(members), after=after)
    await session.commit()
    return UserAccount(user, frozenset(members))


async def update(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    passwords: PasswordHashing,
    actor: Actor,
    user: User,
    changes: UserChanges,
) -> UserAccount:
    """`user` with `changes` made, committed with an audit entry of what changed."""
    _check_may_manage(actor, user)
    current = await users.company_ids_of(session, user.id)
    elsewhere = set() if actor.sees_every_company else current - actor.company_ids
    if elsewhere and changes.sent - {"company_ids"}:
        raise Forbidden(
            "this user also works for companies you do not manage; you can change only their "
            "membership in your companies"
        )
    if user.id == actor.user_id and {"role", "disabled"} & changes.sent:
        raise AccountError("you cannot change your own role or disable yourself")
    if user.id == actor.user_id and "password" in changes.sent:
        # Here it would skip the current password and the throttling that guard a stolen session.
        raise AccountError(
            "change your own password at POST /api/users/me/password; it asks for the current one"
        )
    role = changes.role or Role(user.role)
    if "role" in changes.sent:
        _check_may_grant(actor, role)

    wanted = current
    if changes.company_ids is not None:
        _check_own_companies(actor, changes.company_ids)
        await _check_companies_exist(session, set(changes.company_ids))
        wanted = elsewhere | set(changes.company_ids)
    if role != Role.msp_admin and not wanted:
        raise AccountError(f"company_ids: a {role.value} belongs to at least one company")
    if changes.email is not None and changes.email != user.email:
        taken = await session.execute(select(User.id).where(User.email == changes.email, User.id != user.id))
        if taken.first():
            raise await _email_taken_refusal(sessions, actor, changes.email)

    before = _account_of(user)
    for field in ACCOUNT_FIELDS:
        if field in changes.sent:
            value = getattr(changes, field)
            setattr(user, field, value.value if isinstance(value, Role) else value)
    after = _account_of(user)
    signed_out: list[str] = []
    if changes.password is not None:
        await users.set_password(passwords, user, changes.password)
        # As when users change their own password: whoever held the old one is signed out everywhere.
        signed_out = await auth_sessions.revoke_all(
            session, user_id=user.id, reason=auth_sessions.Reason.password_changed, now=utcnow()
        )
    await session.execute(
        delete(UserCompany).where(
            col(UserCompany.user_id) == user.id, col(UserCompany.company_id).in_(sorted(current - wanted))
        )
    )
    session.add_all(UserCompany(user_id=user.id, company_id=c) for c in sorted(wanted - current))
    try:
        await session.flush()
    except IntegrityError:
        raise await _email_taken_refusal(sessions, actor, changes.email or "") from None

    changed_before = {k: v for k, v in before.items() if after[k] != v}
    changed_after = {k: after[k] for k in changed_before}
    if wanted != current:
        changed_before["company_ids"], changed_after["company_ids"] = sorted(current), sorted(wanted)
    if changes.password is not None:
        # Never the password or its hash: only that it changed.
        changed_after["password_changed"] = True
        changed_after["sessions_revoked"] = signed_out
    if changed_after:
        await _audit(
            session,
            actor,
            "user.update",
            user.id,
            current | wanted,
            before=changed_before,
            after=changed_after,
        )
    await session.commit()
    return UserAccount(user, frozenset(wanted))


async def remove(session: AsyncSession, actor: Actor, user: User) -> None:
    """Company admins take the user out of their companies; a user left in no company is disabled.

    The MSP admin disables the account. Accounts are never erased: incidents and the audit trail refer
    to them, and re-enabling brings one back. The email stays taken.
    """
    _check_may_manage(actor, user)
    if user.id == actor.user_id:
        raise AccountError("you cannot delete yourself")
    current = await users.company_ids_of(session, user.id)
    remaining = current if actor.sees_every_company else current - actor.company_ids
    before: dict[str, Any] = {"disabled": user.disabled, "company_ids": actor.visible_company_ids(current)}
    after: dict[str, Any] = {}
    if remaining != current:
        await session.execute(
            delete(UserCompany).where(
                col(UserCompany.user_id) == user.id,
                col(UserCompany.company_id).in_(sorted(current - remaining)),
            )
        )
        after["company_ids"] = actor.visible_company_ids(remaining)
    if actor.sees_every_company or not remaining:
        user.disabled = True
        after["disabled"] = True
    await _audit(session, actor, "user.delete", user.id, current, before=before, after=after)
    await session.commit()


def _check_may_manage(actor: Actor, user: User) -> None:
    if not actor.can_manage_role(Role(user.role)):
        raise Forbidden(f"a {actor.role.value} cannot manage a {user.role}")


def _check_may_grant(actor: Actor, role: Role) -> None:
    if not actor.can_manage_role(role):
        raise Forbidden(f"a {actor.role.value} cannot give the role {role.value}")


def _check_own_companies(actor: Actor, company_ids: list[str]) -> None:
    if actor.sees_every_company:
        return
    # The same answer whether or not the other companies exist, so their ids cannot be probed.
    if not set(company_ids) <= actor.company_ids:
        raise Forbidden(OWN_COMPANIES_ONLY)


async def _email_taken_refusal(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, email: str
) -> EmailTaken | Forbidden:
    """What an actor learns about an email that another user has: the MSP admin, and a company admin
    about a user of their own companies, that it is taken (409); a company admin about anyone else only
    the refusal they get for any user beyond their companies, so other tenants' users cannot be probed."""
    holder = scoped_users(select(User.id), actor).where(User.email == email)
    # A session of its own: the caller's may be in a failed transaction after a lost race for the email.
    async with sessions() as own:
        visible = (await own.execute(holder)).first()
    if visible:
        return EmailTaken(f"a user with email {email} already exists")
    return Forbidden(OWN_COMPANIES_ONLY)


async def _check_companies_exist(session: AsyncSession, company_ids: set[str]) -> None:
    rows = await session.execute(select(Company.id).where(col(Company.id).in_(sorted(company_ids))))
    missing = company_ids - set(rows.scalars())
    if missing:
        raise AccountError(f"no company with id {', '.join(sorted(missing))}")


async def _audit(
    session: AsyncSession,
    actor: Actor,
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
            actor=actor.user_id,
            action=action,
            company_id=company_id,
            object_type="user",
            object_id=user_id,
            before=before,
            after=after,
        )


def _account_of(user: User) -> dict[str, Any]:
    return {f: getattr(user, f) for f in ACCOUNT_FIELDS}
