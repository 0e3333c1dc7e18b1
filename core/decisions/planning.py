"""A candidate runbook made ready for one incident, or the reason it cannot be."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.runbooks.render import Facts, RenderError, render_plan
from workflows.remediation.types import ExecutorKind, RunbookPlan
from workflows.types import IncidentState

EC2_INSTANCE_PREFIX = "i-"


def label_facts(labels: Mapping[str, Any]) -> dict[str, str]:
    """Labels usable as parameter sources: scalar values only, as text."""
    return {
        str(k): str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in labels.items()
        if isinstance(v, str | int | float | bool)
    }


def facts_for(incident: IncidentState, labels: Mapping[str, Any]) -> Facts:
    return Facts(asset_name=incident.asset_name, asset_id=incident.asset_id, labels=label_facts(labels))


def targets_for(assets: list[dict[str, Any]], asset_name: str, asset_id: str | None) -> list[str]:
    """Instances to run on: the company's asset entry of that name (`instance_ids`, or an EC2 `asset_id`),
    else the incident's own asset id."""
    targets: list[str] = []
    for entry in assets:
        if not isinstance(entry, dict) or entry.get("name") != asset_name:
            continue
        instance_ids = entry.get("instance_ids")
        if isinstance(instance_ids, list) and instance_ids:
            targets.extend(str(i) for i in instance_ids if isinstance(i, str) and i)
        elif isinstance(entry.get("asset_id"), str) and entry["asset_id"].startswith(EC2_INSTANCE_PREFIX):
            targets.append(entry["asset_id"])
    if not targets and asset_id:
        targets.append(asset_id)
    return list(dict.fromkeys(targets))


def plan_or_refusal(runbook: Any, facts: Facts, company_id: str, targets: list[str]) -> RunbookPlan | str:
    """The runbook's plan for this incident, or why it is not allowed here."""
    try:
        plan = render_plan(runbook, facts, company_id, targets)
    except (RenderError, ValueError) as err:
        return f"{runbook.name} ({runbook.id}): {err}"
    if plan.executor == ExecutorKind.ssm and not plan.targets:
        return f"{runbook.name} ({runbook.id}): no instance to run it on for asset {facts.asset_name}"
    return plan
