"""On-call activities: whom a new incident goes to, whom each escalation level reaches, and whom an approval
asks.

They only read (schedules, chains, users, assignments so far); the incident workflow records the answer
through its projection. Database trouble raises and Temporal retries.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from core.oncall.assignment import choose_for_company
from core.oncall.escalation import escalation_step
from core.oncall.members import approvers_for
from workflows.assignment.types import (
    Approvers,
    ApproversRequest,
    Assignment,
    AssignRequest,
    EscalationRequest,
    EscalationStep,
)


class OnCall:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    @activity.defn(name="choose_assignee")
    async def choose_assignee(self, req: AssignRequest) -> Assignment:
        """A technician on call whose category matches, by the company's strategy; else anyone on call."""
        async with self._sessions() as session:
            return await choose_for_company(session, req.company_id, req.category, datetime.now(UTC))

    @activity.defn(name="escalation_step")
    async def escalation_step(self, req: EscalationRequest) -> EscalationStep:
        """Level `req.level` of the company's chain (or the default one) as it stands now."""
        async with self._sessions() as session:
            return await escalation_step(session, req.company_id, req.level, datetime.now(UTC))

    @activity.defn(name="approvers")
    async def approvers(self, req: ApproversRequest) -> Approvers:
        """Who is asked to approve a runbook that needs `req.required_role` (core/oncall/members.py)."""
        async with self._sessions() as session:
            return Approvers(user_ids=await approvers_for(session, req.company_id, req.required_role))
