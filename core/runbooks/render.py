"""A runbook made ready for one incident: declared parameters filled into its commands.

Alert text never reaches a command. A parameter's value comes only from its declared source (the asset's
name or id, or one alert label), must match the parameter's pattern in full, and is shell-quoted.
`{name}` placeholders of declared parameters are replaced; anything else (`${HOME}`, `{}`) is left as is.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workflows.remediation.types import ExecutorKind, RiskLevel, RunbookPlan

LABEL_SOURCE = "label:"
SOURCES = ("asset_name", "asset_id")


class RenderError(ValueError):
    """The runbook cannot be made ready for this incident (a parameter has no value, or a bad one)."""


@dataclass(frozen=True)
class Facts:
    """What parameters may be filled from: the incident's asset, and the labels of its latest alert."""

    asset_name: str
    asset_id: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


def placeholder(name: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\$)\{" + re.escape(name) + r"\}")


def source_value(source: str, facts: Facts) -> str | None:
    if source == "asset_name":
        return facts.asset_name or None
    if source == "asset_id":
        return facts.asset_id
    if source.startswith(LABEL_SOURCE):
        return facts.labels.get(source[len(LABEL_SOURCE) :])
    return None


def parameter_values(parameters: list[dict[str, Any]], facts: Facts) -> dict[str, str]:
    values = {}
    for parameter in parameters:
        name, source, pattern = parameter["name"], parameter["source"], parameter["pattern"]
        value = source_value(source, facts)
        if value is None:
            raise RenderError(f"parameter {name!r}: the incident has no {source}")
        if not re.fullmatch(pattern, value):
            raise RenderError(f"parameter {name!r}: {source} does not match its pattern {pattern!r}")
        values[name] = value
    return values


def fill(command: str, values: Mapping[str, str]) -> str:
    for name, value in values.items():
        quoted = shlex.quote(value)
        command = placeholder(name).sub(lambda _m, q=quoted: q, command)  # type: ignore[misc]
    return command


def render_plan(runbook: Any, facts: Facts, company_id: str, targets: list[str]) -> RunbookPlan:
    """`runbook` is a `core.db.models.Runbook` (or anything with its fields); `company_id` is the
    incident's (a global runbook has none), whose credentials the executor uses."""
    values = parameter_values(list(runbook.parameters or []), facts)
    return RunbookPlan(
        runbook_id=runbook.id,
        runbook_name=runbook.name,
        company_id=company_id,
        risk_level=RiskLevel(runbook.risk_level),
        executor=ExecutorKind(runbook.executor),
        actions=[fill(c, values) for c in runbook.actions],
        rollback_actions=[fill(c, values) for c in runbook.rollback_actions or []],
        pre_check=fill(runbook.pre_check, values) if runbook.pre_check else None,
        post_check=fill(runbook.post_check, values) if runbook.post_check else None,
        timeout_seconds=runbook.timeout_seconds,
        targets=targets,
        demo=runbook.demo,
    )
