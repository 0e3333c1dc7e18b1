"""What alert intake needs to know of a company, in one immutable value that caches can share."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.companies.integration_settings import IntegrationSettings
from workflows.types import CorrelationPolicy


@dataclass(frozen=True)
class CompanyContext:
    id: str
    name: str
    policy: CorrelationPolicy
    critical_assets: frozenset[str]
    integrations: IntegrationSettings = field(default_factory=IntegrationSettings)
