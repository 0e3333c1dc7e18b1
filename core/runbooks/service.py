"""Runbooks changed on an actor's behalf: who may write which, the writes and their audit, and which
runbooks an actor sees.

Global runbooks (company_id null) are the MSP's and run for every client, so only an msp_admin writes
them; a company's admins write that company's. Everyone reads global runbooks and their companies' own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from core.accounts.actor import Actor
from core.accounts.roles import Role
from core.audit import changed_fields, record
from core.db.models import Runbook, utcnow
from core.errors import Forbidden
from core.runbooks.matching import handles
from core.runbooks.spec import RunbookSpec
from workflows.remediation.types import ExecutorKind

SPEC_FIELDS = tuple(RunbookSpec.model_fields)


def write_refusal(actor: Actor, company_id: str | None, executor: ExecutorKind) -> str | None:
    """Why `actor` may not create, change or delete a runbook of `company_id` (None: global) for
    `executor`, or None when they may. Tenancy (seeing the company at all) is checked before this."""
    if actor.role == Role.msp_admin:
        return None
    if actor.role != Role.company_admin:
        return f"a {actor.role.value} reads runbooks but does not write them"
    if company_id is None:
        return "global runbooks run for every client: only an msp_admin may write them"
    if executor == ExecutorKind.local:
        # The local executor runs on the MSP's own worker host, which no single client may command.
        return "local-executor runbooks run on the MSP's worker host: only an msp_admin may write them"
    if company_id not in actor.company_ids:
        return "only that company's admins may write its runbooks"
    return None


def visible(query: SelectOfScalar[Runbook], actor: Actor) -> SelectOfScalar[Runbook]:
    """`query` narrowed to global runbooks and those of the actor's companies (all, for the MSP)."""
    if actor.sees_every_company:
        return query
    return query.where(
        or_(col(Runbook.company_id).is_(None), col(Runbook.company_id).in_(sorted(actor.company_ids)))
    )


async def visible_runbook(session: AsyncSession, actor: Actor, runbook_id: str) -> Runbook | None:
    """The runbook, or None when it does not exist or belongs to a company the actor does not see."""
    query = visible(select(Runbook), actor).where(Runbook.id == runbook_id)
    return (await session.execute(query)).scalar_one_or_none()


async def list_runbooks(
    session: AsyncSession,
    actor: Actor,
    *,
    company_id: str | None = None,
    signature: str | None = None,
    include_global: bool = True,
) -> list[Runbook]:
    """Global runbooks first, then by company and name. `company_id` narrows the companies' runbooks
    (global ones stay unless `include_global` is false); `signature` keeps runbooks whose globs match it."""
    query = visible(select(Runbook), actor)
    if company_id is not None:
        own = col(Runbook.company_id) == company_id
        query = query.where(or_(own, col(Runbook.company_id).is_(None)) if include_global else own)
    elif not include_global:
        query = query.where(col(Runbook.company_id).is_not(None))
    query = query.order_by(
        col(Runbook.company_id).is_not(None), col(Runbook.company_id), col(Runbook.name), col(Runbook.id)
    )
    found = list((await session.execute(query)).scalars())
    # Globs are matched here rather than in SQL, with the same matcher the decision uses.
    return [r for r in found if signature is None or handles(r.signatures, signature)]


async def create(session: AsyncSession, actor: Actor, company_id: str | None, spec: RunbookSpec) -> Runbook:
    """The new runbook, committed and audited. A company's: the caller has checked the actor sees it."""
    _refuse_unless_allowed(actor, company_id, spec)
    runbook = new_runbook(spec, company_id, created_by=actor.user_id)
    session.add(runbook)
    await session.flush()
    await audit(session, actor.user_id, "create", runbook, after=_audited(runbook))
    await session.commit()
    return runbook


async def replace(session: AsyncSession, actor: Actor, runbook: Runbook, spec: RunbookSpec) -> Runbook:
    """`runbook` with every field of `spec`; its company stays. Audited if anything changed."""
    _refuse_unless_allowed(actor, runbook.company_id, spec, current=runbook)
    before = _audited(runbook)
    for field, value in spec.stored().items():
        setattr(runbook, field, value)
    was, now = changed_fields(before, _audited(runbook))
    if now:
        runbook.updated_at = utcnow()
        await audit(session, actor.user_id, "update", runbook, before=was, after=now)
    await session.commit()
    return runbook


async def delete(session: AsyncSession, actor: Actor, runbook: Runbook) -> None:
    """Its past runs keep its id, for history; runs in progress carry their own copy of its commands."""
    refusal = write_refusal(actor, runbook.company_id, ExecutorKind(runbook.executor))
    if refusal:
        raise Forbidden(refusal)
    await audit(session, actor.user_id, "delete", runbook, before=_audited(runbook))
    await session.delete(runbook)
    await session.commit()


def new_runbook(spec: RunbookSpec, company_id: str | None, created_by: str | None) -> Runbook:
    return Runbook(company_id=company_id, created_by=created_by, **spec.stored())


def _refuse_unless_allowed(
    actor: Actor, company_id: str | None, spec: RunbookSpec, current: Runbook | None = None
) -> None:
    # Both executors count on a change: moving a runbook to or from `local` is a write to each.
    executors: Sequence[ExecutorKind] = [spec.executor]
    if current is not None:
        executors = [*executors, ExecutorKind(current.executor)]
    for executor in executors:
        refusal = write_refusal(actor, company_id, executor)
        if refusal:
            raise Forbidden(refusal)


def _audited(runbook: Runbook) -> dict[str, Any]:
    return {f: getattr(runbook, f) for f in SPEC_FIELDS}


async def audit(
    session: AsyncSession,
    actor: str,
    action: str,
    runbook: Runbook,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    await record(
        session,
        actor=actor,
        action=f"runbook.{action}",
        company_id=runbook.company_id,
        object_type="runbook",
        object_id=runbook.id,
        before=before,
        after=after,
    )
