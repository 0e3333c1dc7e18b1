"""Everything a decision is made from, read in one short database session before any provider is asked."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core.db.models import Alert, Company, Runbook
from core.decisions.candidates import candidate_runbooks
from core.decisions.memory import Memory, OnAsset, RunbookHistory, recall
from core.decisions.planning import facts_for, plan_or_refusal, targets_for
from core.runbooks.render import Facts
from workflows.policy import CompanyPolicy
from workflows.remediation.approval import required_role
from workflows.remediation.types import RiskLevel, RunbookPlan
from workflows.types import IncidentState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AllowedRunbook:
    """A runbook this incident may run, its plan rendered, and what policy and memory say about it."""

    plan: RunbookPlan
    description: str
    auto_approve: bool
    company_owned: bool
    required_role: str | None  # None: may run at once
    history: RunbookHistory
    on_asset: OnAsset

    @property
    def id(self) -> str:
        return self.plan.runbook_id

    @property
    def name(self) -> str:
        return self.plan.runbook_name

    @property
    def risk(self) -> RiskLevel:
        return self.plan.risk_level


@dataclass(frozen=True)
class DecisionContext:
    incident: IncidentState
    policy: CompanyPolicy
    allowed: list[AllowedRunbook]  # the company's own first
    refused: list[str] = field(default_factory=list)  # matching runbooks that cannot run here, and why
    memory: Memory = field(default_factory=Memory)
    latest_message: str = ""
    labels: dict[str, Any] = field(default_factory=dict)

    def allowed_by_id(self) -> dict[str, AllowedRunbook]:
        return {r.id: r for r in self.allowed}


def company_policy(company: Company | None) -> CompanyPolicy:
    if company is None:
        return CompanyPolicy()
    try:
        return CompanyPolicy.model_validate(company.policy or {})
    except ValidationError:
        log.warning("company %s has an invalid policy; deciding with the defaults", company.id)
        return CompanyPolicy()


@dataclass(frozen=True)
class Grounds:
    """What any plan for this incident is rendered from: its company's policy and assets, and the labels
    of its latest alert."""

    policy: CompanyPolicy
    facts: Facts
    targets: list[str]
    latest: Alert | None

    @property
    def labels(self) -> dict[str, Any]:
        return dict(self.latest.labels or {}) if self.latest is not None else {}


async def grounds(session: AsyncSession, incident: IncidentState) -> Grounds:
    company = await session.get(Company, incident.company_id)
    latest = (
        await session.execute(
            select(Alert)
            .where(Alert.incident_id == incident.incident_id, Alert.company_id == incident.company_id)
            .order_by(col(Alert.received_at).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    labels = dict(latest.labels or {}) if latest is not None else {}
    assets = list(company.assets or []) if company is not None else []
    return Grounds(
        policy=company_policy(company),
        facts=facts_for(incident, labels),
        targets=targets_for(assets, incident.asset_name, incident.asset_id),
        latest=latest,
    )


def approval_for(runbook: Runbook, plan: RunbookPlan, policy: CompanyPolicy, on_asset: OnAsset) -> str | None:
    return required_role(
        plan.risk_level, policy.risk_tolerance, runbook.auto_approve, on_asset.failures_in_a_row
    )


async def gather(session: AsyncSession, incident: IncidentState, now: datetime) -> DecisionContext:
    ground = await grounds(session, incident)
    plans, refused = [], []
    runbooks = await candidate_runbooks(session, incident.company_id, incident.signature)
    for runbook in runbooks:
        plan = plan_or_refusal(runbook, ground.facts, incident.company_id, ground.targets)
        if isinstance(plan, str):
            refused.append(plan)
        else:
            plans.append((runbook, plan))
    memory = await recall(session, incident, [plan.runbook_id for _, plan in plans], now)
    allowed = []
    for runbook, plan in plans:
        on_asset = memory.on_asset_of(plan.runbook_id)
        allowed.append(
            AllowedRunbook(
                plan=plan,
                description=runbook.description,
                auto_approve=runbook.auto_approve,
                company_owned=runbook.company_id is not None,
                required_role=approval_for(runbook, plan, ground.policy, on_asset),
                history=memory.history_of(plan.runbook_id),
                on_asset=on_asset,
            )
        )
    return DecisionContext(
        incident=incident,
        policy=ground.policy,
        allowed=allowed,
        refused=refused,
        memory=memory,
        latest_message=ground.latest.message if ground.latest is not None else "",
        labels=ground.labels,
    )
