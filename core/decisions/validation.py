"""An LLM's answer, checked: the model is untrusted (alert text can carry prompt injection).

It may only pick one of three actions and, for a runbook, one of the ids allowed for this incident. Any
field beyond the tool's schema (a command, parameters, an approval) rejects the whole answer, since the
model is then following something other than our instructions. Approval is never taken from it: policy
recomputes it (core/decisions/outcome.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from core.decisions.providers.base import OutputInvalid
from core.decisions.providers.schema import FIELDS, MAX_REASONING_CHARS
from workflows.remediation.types import DecisionAction


@dataclass(frozen=True)
class Proposal:
    """What a provider proposes, before policy: an action, maybe a runbook, and why."""

    action: DecisionAction
    runbook_id: str | None
    confidence: float
    reasoning: str


def validated(tool_input: object, allowed_ids: Collection[str]) -> Proposal:
    if not isinstance(tool_input, dict):
        raise OutputInvalid(f"the decision is not an object but {type(tool_input).__name__}")
    extra = sorted(str(k) for k in tool_input if k not in FIELDS)
    if extra:
        raise OutputInvalid(f"the decision has fields outside the schema: {', '.join(extra)[:200]}")
    try:
        action = DecisionAction(str(tool_input.get("action")))
    except ValueError:
        raise OutputInvalid(f"unknown action {str(tool_input.get('action'))[:60]!r}") from None
    runbook_id = tool_input.get("runbook_id")
    if action == DecisionAction.ESCALATE_TO_TECH:
        runbook_id = None
    elif not isinstance(runbook_id, str) or runbook_id not in allowed_ids:
        raise OutputInvalid(f"runbook id {str(runbook_id)[:60]!r} is not one of the allowed runbooks")
    confidence = tool_input.get("confidence")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise OutputInvalid(f"confidence {str(confidence)[:30]!r} is not a number from 0 to 1")
    reasoning = tool_input.get("reasoning")
    if not isinstance(reasoning, str) or not reasoning.strip():
        raise OutputInvalid("the decision gives no reasoning")
    return Proposal(action, runbook_id, float(confidence), reasoning.strip()[:MAX_REASONING_CHARS])
