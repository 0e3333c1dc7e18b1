"""A runbook someone asks for by hand, made ready for an incident under the same approval rules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Runbook
from core.decisions.context import approval_for, grounds
from core.decisions.memory import recall
from core.decisions.planning import plan_or_refusal
from workflows.remediation.types import RunbookRequest
from workflows.types import IncidentState


class RunbookNotApplicable(ValueError):
    """The runbook cannot be made ready for this incident (a parameter has no value, or a bad one)."""


async def runbook_request(
    session: AsyncSession,
    incident: IncidentState,
    runbook: Runbook,
    requested_by: str,
    requester_role: str,
    now: datetime,
) -> RunbookRequest:
    """The request for the incident's workflow. The hourly guardrail is not applied: a person chose this
    run, it does not loop by itself."""
    ground = await grounds(session, incident)
    plan = plan_or_refusal(runbook, ground.facts, incident.company_id, ground.targets)
    if isinstance(plan, str):
        raise RunbookNotApplicable(plan)
    memory = await recall(session, incident, [runbook.id], now)
    return RunbookRequest(
        plan=plan,
        approval_role=approval_for(runbook, plan, ground.policy, memory.on_asset_of(runbook.id)),
        approval_timeout_minutes=ground.policy.approval_timeout_minutes,
        requested_by=requested_by,
        requester_role=requester_role,
    )
