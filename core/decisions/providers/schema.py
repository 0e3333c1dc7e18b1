"""The decision tool every LLM provider is made to call: its JSON schema, shared by all of them."""

from __future__ import annotations

from collections.abc import Sequence

from core.decisions.providers.base import ToolSpec
from workflows.remediation.types import DecisionAction

TOOL_NAME = "record_decision"
TOOL_DESCRIPTION = (
    "Record the decision for this incident: run one of the allowed runbooks (by id), ask a human to "
    "approve one, or escalate to a technician. Only ids from the allowed runbooks list are valid."
)
FIELDS = ("reasoning", "action", "runbook_id", "confidence")
MAX_REASONING_CHARS = 2000


def decision_schema(allowed_ids: Sequence[str]) -> dict[str, object]:
    """`reasoning` comes first, so a streamed answer shows it before the choice."""
    runbook_id: dict[str, object] = {
        "type": ["string", "null"],
        "description": "the chosen runbook's id, exactly as listed; null when escalating",
    }
    if allowed_ids:
        runbook_id["enum"] = [*allowed_ids, None]
    return {
        "type": "object",
        "properties": {
            "reasoning": {
                "type": "string",
                "maxLength": MAX_REASONING_CHARS,
                "description": "two or three sentences for the technician: why this action",
            },
            "action": {"type": "string", "enum": [a.value for a in DecisionAction]},
            "runbook_id": runbook_id,
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": list(FIELDS),
        "additionalProperties": False,
    }


def decision_tool(allowed_ids: Sequence[str]) -> ToolSpec:
    return ToolSpec(name=TOOL_NAME, description=TOOL_DESCRIPTION, input_schema=decision_schema(allowed_ids))
