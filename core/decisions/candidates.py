"""Runbooks that may answer an incident: the company's own and the global ones whose signature globs match."""

from __future__ import annotations

from fnmatch import fnmatchcase

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core.db.models import Runbook


def signature_matches(globs: list[str], signature: str) -> bool:
    return any(fnmatchcase(signature.lower(), glob.lower()) for glob in globs)


async def candidate_runbooks(session: AsyncSession, company_id: str, signature: str) -> list[Runbook]:
    """Matching runbooks, the company's own first (they know its systems better than a global one)."""
    rows = await session.execute(
        select(Runbook)
        .where(or_(col(Runbook.company_id) == company_id, col(Runbook.company_id).is_(None)))
        .order_by(col(Runbook.name), col(Runbook.id))
    )
    matching = [r for r in rows.scalars() if signature_matches(list(r.signatures or []), signature)]
    return sorted(matching, key=lambda r: r.company_id is None)
