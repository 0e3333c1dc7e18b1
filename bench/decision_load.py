"""The decisions tenant's runbooks, and what one incident costs in Temporal round trips, read from histories.

The runbooks match two of the stream's five signatures (40 % of its keys): local-executor, low risk,
auto-approved, running `true`, so that they run at once and resolve their incidents. The other keys get
ESCALATE_TO_TECH decisions. The storm's key (`SIGNATURES[0]`) is left to escalate: a runbook resolving it
mid-storm would rightly open a second incident for the rest of the storm.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from traffic import SIGNATURES

from core.runbooks.service import new_runbook
from core.runbooks.spec import RunbookSpec
from workflows.remediation.types import ExecutorKind, RiskLevel

STORM_SIGNATURE = SIGNATURES[0]
RUNBOOK_SIGNATURES = SIGNATURES[1:3]
assert STORM_SIGNATURE not in RUNBOOK_SIGNATURES

BENCH_RUNBOOKS = [
    RunbookSpec(
        name=f"bench: heal {signature}",
        description="benchmark runbook: runs `true` on the worker's host",
        signatures=[signature],
        risk_level=RiskLevel.low,
        executor=ExecutorKind.local,
        actions=["true"],
        auto_approve=True,
        timeout_seconds=30,
    )
    for signature in RUNBOOK_SIGNATURES
]


def add_bench_runbooks(session: AsyncSession, company_id: str) -> None:
    for spec in BENCH_RUNBOOKS:
        session.add(new_runbook(spec, company_id, created_by=None))


# --- round trips --------------------------------------------------------------------------------------

COUNTED = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: "workflow tasks",
    # A task whose completion the server refused (a new event arrived meanwhile): done again.
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED: "workflow tasks failed",
    EventType.EVENT_TYPE_MARKER_RECORDED: "local activities",
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: "activities",
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: "child workflows",
    EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: "signals sent",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: "signals received",
}


@dataclass
class HistoryCost:
    """Events of one incident's history and of the runbook runs it started."""

    incident: Counter[str]
    runs: Counter[str]


async def history_cost(client: Client, incident_id: str) -> HistoryCost:
    incident: Counter[str] = Counter()
    runs: Counter[str] = Counter()
    children = []
    history = await client.get_workflow_handle(incident_id).fetch_history()
    for event in history.events:
        incident["events"] += 1
        if event.event_type in COUNTED:
            incident[COUNTED[event.event_type]] += 1
        if event.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            children.append(event.start_child_workflow_execution_initiated_event_attributes.workflow_id)
    for child in children:
        for event in (await client.get_workflow_handle(child).fetch_history()).events:
            runs["events"] += 1
            if event.event_type in COUNTED:
                runs[COUNTED[event.event_type]] += 1
    return HistoryCost(incident, runs)


async def round_trips(temporal_address: str, groups: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    """Mean events per incident for each group of incident ids: its own history, then `run: …` for the
    histories of the runbook runs it started."""
    client = await Client.connect(temporal_address)
    figures: dict[str, dict[str, float]] = {}
    for group, ids in groups.items():
        if not ids:
            continue
        totals: defaultdict[str, int] = defaultdict(int)
        for incident_id in ids:
            cost = await history_cost(client, incident_id)
            for name, n in cost.incident.items():
                totals[name] += n
            for name, n in cost.runs.items():
                totals[f"run: {name}"] += n
        figures[group] = {"incidents": len(ids), **{k: v / len(ids) for k, v in sorted(totals.items())}}
    return figures
