"""The deterministic provider: free, always available, the last in every chain.

The first allowed runbook (the company's own before global ones) that has not hit the hourly guardrail,
else none: escalate. Policy then decides whether it runs at once or waits for approval.
"""

from __future__ import annotations

from core.decisions.context import DecisionContext
from core.decisions.validation import Proposal
from workflows.remediation.types import DecisionAction

NAME = "rules"
# How sure the rules are of a matching runbook before any history: a company's own runbook was written
# for its systems, a global one only for the signature.
COMPANY_RUNBOOK_PRIOR = 0.75
GLOBAL_RUNBOOK_PRIOR = 0.6
NOTHING_TO_RUN_CONFIDENCE = 0.9


def rules_proposal(ctx: DecisionContext) -> Proposal:
    limit = ctx.policy.max_runs_per_asset_hour
    fresh = [r for r in ctx.allowed if r.on_asset.runs_last_hour < limit]
    choices = fresh or ctx.allowed
    if not choices:
        return Proposal(
            DecisionAction.ESCALATE_TO_TECH,
            None,
            NOTHING_TO_RUN_CONFIDENCE,
            f"No runbook of this company or the global library matches signature "
            f"{ctx.incident.signature!r} on {ctx.incident.asset_name}"
            + (f" ({len(ctx.refused)} match but cannot run here)" if ctx.refused else "")
            + "; a technician takes it.",
        )
    choice = choices[0]
    owner = "the company's own" if choice.company_owned else "a global"
    return Proposal(
        DecisionAction.EXECUTE_RUNBOOK,
        choice.id,
        COMPANY_RUNBOOK_PRIOR if choice.company_owned else GLOBAL_RUNBOOK_PRIOR,
        f"Runbook {choice.name!r} ({owner} runbook) matches signature {ctx.incident.signature!r}.",
    )
