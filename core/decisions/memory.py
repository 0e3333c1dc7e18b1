"""What the decision remembers, from the alert, decision and remediation_run tables.

Short-term: the asset's recent alerts, decisions and runbook runs (48 h). Long-term: per company and
signature, each runbook's tries, success rate and time to resolve. Per runbook on this asset: failures in
a row (they end auto-approval there) and runs in the last hour (the guardrail).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import mean

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core.db.models import Alert, DecisionRecord, RemediationRun
from workflows.remediation.types import RemediationStatus
from workflows.types import IncidentState

SHORT_TERM = timedelta(hours=48)
GUARDRAIL_WINDOW = timedelta(hours=1)
SHORT_TERM_ITEMS = 10
LONG_TERM_RUNS = 500
ASSET_RUNS = 200
MESSAGE_CHARS = 300

SUCCEEDED = frozenset({RemediationStatus.succeeded.value})
FAILED = frozenset({RemediationStatus.failed.value, RemediationStatus.rolled_back.value})
# Runs that went ahead (or were let go ahead): what the hourly guardrail counts. Proposals still awaiting
# approval, rejected or escalated ran nothing.
WENT_AHEAD = SUCCEEDED | FAILED | {RemediationStatus.approved.value, RemediationStatus.running.value}


@dataclass(frozen=True)
class AlertNote:
    at: datetime
    severity: str
    signature: str
    status: str
    message: str


@dataclass(frozen=True)
class DecisionNote:
    at: datetime
    incident_id: str
    action: str
    runbook_id: str | None
    provider: str


@dataclass(frozen=True)
class RunNote:
    at: datetime
    incident_id: str
    runbook_id: str
    status: str


@dataclass(frozen=True)
class RunbookHistory:
    """One runbook on one company's signature, over its finished runs."""

    tries: int = 0
    successes: int = 0
    mean_resolve_s: float | None = None

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.tries if self.tries else None


@dataclass(frozen=True)
class OnAsset:
    failures_in_a_row: int = 0
    runs_last_hour: int = 0


@dataclass(frozen=True)
class Memory:
    alerts: list[AlertNote] = field(default_factory=list)
    decisions: list[DecisionNote] = field(default_factory=list)
    runs: list[RunNote] = field(default_factory=list)
    history: dict[str, RunbookHistory] = field(default_factory=dict)
    on_asset: dict[str, OnAsset] = field(default_factory=dict)

    def history_of(self, runbook_id: str) -> RunbookHistory:
        return self.history.get(runbook_id, RunbookHistory())

    def on_asset_of(self, runbook_id: str) -> OnAsset:
        return self.on_asset.get(runbook_id, OnAsset())


def history_from(runs: Sequence[RemediationRun]) -> dict[str, RunbookHistory]:
    by_runbook: dict[str, list[RemediationRun]] = {}
    for run in runs:
        if run.status in SUCCEEDED | FAILED:
            by_runbook.setdefault(run.runbook_id, []).append(run)
    history = {}
    for runbook_id, finished in by_runbook.items():
        resolved = [
            (r.finished_at - r.requested_at).total_seconds()
            for r in finished
            if r.status in SUCCEEDED and r.finished_at is not None
        ]
        history[runbook_id] = RunbookHistory(
            tries=len(finished),
            successes=sum(r.status in SUCCEEDED for r in finished),
            mean_resolve_s=mean(resolved) if resolved else None,
        )
    return history


def failures_in_a_row(runs_newest_first: Sequence[RemediationRun]) -> int:
    count = 0
    for run in runs_newest_first:
        if run.status in FAILED:
            count += 1
        elif run.status in SUCCEEDED:
            break
    return count


def on_asset_from(
    runs_newest_first: Sequence[RemediationRun], runbook_ids: Sequence[str], now: datetime
) -> dict[str, OnAsset]:
    since = now - GUARDRAIL_WINDOW
    result = {}
    for runbook_id in runbook_ids:
        runs = [r for r in runs_newest_first if r.runbook_id == runbook_id]
        result[runbook_id] = OnAsset(
            failures_in_a_row=failures_in_a_row(runs),
            runs_last_hour=sum(r.requested_at >= since and r.status in WENT_AHEAD for r in runs),
        )
    return result


async def recall(
    session: AsyncSession, incident: IncidentState, runbook_ids: Sequence[str], now: datetime
) -> Memory:
    company, asset = incident.company_id, incident.asset_name
    since = now - SHORT_TERM
    alerts = await session.execute(
        select(Alert)
        .where(Alert.company_id == company, Alert.asset_name == asset, col(Alert.received_at) >= since)
        .order_by(col(Alert.received_at).desc())
        .limit(SHORT_TERM_ITEMS)
    )
    decisions = await session.execute(
        select(DecisionRecord)
        .where(
            DecisionRecord.company_id == company,
            DecisionRecord.asset_name == asset,
            col(DecisionRecord.created_at) >= since,
        )
        .order_by(col(DecisionRecord.created_at).desc())
        .limit(SHORT_TERM_ITEMS)
    )
    asset_runs = list(
        (
            await session.execute(
                select(RemediationRun)
                .where(RemediationRun.company_id == company, RemediationRun.asset_name == asset)
                .order_by(col(RemediationRun.requested_at).desc())
                .limit(ASSET_RUNS)
            )
        ).scalars()
    )
    signature_runs = (
        await session.execute(
            select(RemediationRun)
            .where(RemediationRun.company_id == company, RemediationRun.signature == incident.signature)
            .order_by(col(RemediationRun.requested_at).desc())
            .limit(LONG_TERM_RUNS)
        )
    ).scalars()
    return Memory(
        alerts=[
            AlertNote(a.received_at, a.severity, a.signature, a.status, a.message[:MESSAGE_CHARS])
            for a in alerts.scalars()
        ],
        decisions=[
            DecisionNote(d.created_at, d.incident_id, d.action, d.runbook_id, d.provider)
            for d in decisions.scalars()
        ],
        runs=[
            RunNote(r.requested_at, r.incident_id, r.runbook_id, r.status)
            for r in asset_runs
            if r.requested_at >= since
        ][:SHORT_TERM_ITEMS],
        history=history_from(list(signature_runs)),
        on_asset=on_asset_from(asset_runs, runbook_ids, now),
    )
