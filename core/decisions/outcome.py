"""A proposal made into a decision by policy: the hourly guardrail, the approval matrix, confidence from
history, and reasoning a technician can read. Whoever proposed, these rules have the last word."""

from __future__ import annotations

from datetime import datetime

from core.decisions.context import AllowedRunbook, DecisionContext
from core.decisions.memory import RunbookHistory
from core.decisions.validation import Proposal
from workflows.policy import RiskTolerance
from workflows.remediation.approval import required_role
from workflows.remediation.types import Decision, DecisionAction, DecisionOutcome, RiskLevel

# A provider's own confidence counts as this many runs' worth of evidence against the runbook's history.
PRIOR_WEIGHT = 2
GUARDRAIL_CONFIDENCE = 0.95
# Starts the sentence a guardrail escalation adds to the reasoning (the demo counts those by it).
GUARDRAIL_MARK = "Guardrail:"


def blended_confidence(stated: float, history: RunbookHistory) -> float:
    return round((stated * PRIOR_WEIGHT + history.successes) / (PRIOR_WEIGHT + history.tries), 2)


def least_role(risk: RiskLevel) -> str:
    """Who approves when approval is asked for although policy would not require it."""
    role = required_role(risk, RiskTolerance.none, auto_approve=False)
    assert role is not None
    return role


def history_sentence(history: RunbookHistory) -> str:
    if not history.tries:
        return "It has no history on this signature yet."
    sentence = f"History on this signature: {history.successes} of {history.tries} runs succeeded"
    if history.mean_resolve_s is not None:
        sentence += f", resolving in {history.mean_resolve_s / 60:.0f} min on average"
    return sentence + "."


def approval_sentence(
    ctx: DecisionContext, runbook: AllowedRunbook, role: str | None, proposed: DecisionAction, provider: str
) -> str:
    policy, risk = ctx.policy, runbook.risk.value
    tolerance = policy.risk_tolerance.value
    if role is None:
        return (
            f"It is {risk} risk, within the company's {tolerance} risk tolerance, and auto-approved, "
            "so it runs at once."
        )
    who = f"a {role} must approve it within {policy.approval_timeout_minutes} min"
    failures = runbook.on_asset.failures_in_a_row
    if runbook.required_role is None:
        because = f"the {provider} provider asked for approval"
    elif required_role(runbook.risk, policy.risk_tolerance, True) is not None:
        because = f"it is {risk} risk, above the company's {tolerance} risk tolerance"
    elif not runbook.auto_approve:
        because = f"it is {risk} risk but not marked for auto-approval"
    else:
        because = (
            f"it failed {failures} times in a row on {ctx.incident.asset_name}, "
            "so it no longer runs there unapproved"
        )
    sentence = f"Approval needed: {because}; {who}."
    if proposed == DecisionAction.EXECUTE_RUNBOOK:
        sentence += f" (The {provider} provider proposed running it at once; policy decides approval.)"
    return sentence


def decide_outcome(
    ctx: DecisionContext,
    proposal: Proposal,
    *,
    provider: str,
    tokens_used: int,
    duration_ms: int,
    fallbacks: list[str],
    now: datetime,
) -> DecisionOutcome:
    policy = ctx.policy

    def outcome(
        action: DecisionAction,
        runbook: AllowedRunbook | None,
        confidence: float,
        reasoning: str,
        role: str | None = None,
    ) -> DecisionOutcome:
        return DecisionOutcome(
            decision=Decision(
                action=action,
                runbook_id=runbook.id if runbook else None,
                confidence=min(1.0, max(0.0, confidence)),
                reasoning=reasoning,
                provider=provider,
                tokens_used=tokens_used,
                duration_ms=duration_ms,
                created_at=now,
                fallbacks=fallbacks,
            ),
            plan=runbook.plan if runbook else None,
            approval_role=role,
            approval_timeout_minutes=policy.approval_timeout_minutes,
        )

    if proposal.action == DecisionAction.ESCALATE_TO_TECH or proposal.runbook_id is None:
        return outcome(DecisionAction.ESCALATE_TO_TECH, None, proposal.confidence, proposal.reasoning)
    runbook = ctx.allowed_by_id()[proposal.runbook_id]
    runs = runbook.on_asset.runs_last_hour
    if runs >= policy.max_runs_per_asset_hour:
        return outcome(
            DecisionAction.ESCALATE_TO_TECH,
            None,
            GUARDRAIL_CONFIDENCE,
            f"{proposal.reasoning} {GUARDRAIL_MARK} runbook {runbook.name!r} already ran {runs} time(s) on "
            f"{ctx.incident.asset_name} in the last hour (company limit {policy.max_runs_per_asset_hour} "
            "per hour), so the incident escalates to a technician instead of running it again.",
        )
    role = runbook.required_role
    if proposal.action == DecisionAction.APPROVE_REQUIRED and role is None:
        role = least_role(runbook.risk)
    action = DecisionAction.EXECUTE_RUNBOOK if role is None else DecisionAction.APPROVE_REQUIRED
    reasoning = " ".join(
        [
            proposal.reasoning,
            approval_sentence(ctx, runbook, role, proposal.action, provider),
            history_sentence(runbook.history),
        ]
    )
    return outcome(action, runbook, blended_confidence(proposal.confidence, runbook.history), reasoning, role)
