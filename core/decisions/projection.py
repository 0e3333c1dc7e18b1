"""An incident's state as its workflow would carry it, rebuilt from the projection row (for dry runs)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Company, Incident
from workflows.types import IncidentState, IncidentStatus, Severity


async def incident_state(session: AsyncSession, incident: Incident) -> IncidentState:
    company = await session.get(Company, incident.company_id)
    return IncidentState(
        incident_id=incident.id,
        company_id=incident.company_id,
        company_name=company.name if company is not None else "",
        aggregation_key=incident.aggregation_key,
        generation=incident.generation,
        critical_asset=company is not None and incident.asset_name in (company.critical_assets or []),
        status=IncidentStatus(incident.status),
        asset_name=incident.asset_name,
        asset_id=incident.asset_id,
        signature=incident.signature,
        category=incident.category,
        title=incident.title,
        severity=Severity(incident.severity),
        priority_score=incident.priority_score,
        alert_count=incident.alert_count,
        recovery_count=incident.recovery_count,
        tool_sources=list(incident.tool_sources or []),
        assigned_to=incident.assigned_to,
        awaiting_confirmation=incident.awaiting_confirmation,
        resolution=incident.resolution,
        resolved_at=incident.resolved_at,
        resolved_by=incident.resolved_by,
        created_at=incident.created_at,
        updated_at=incident.updated_at,
        last_alert_at=incident.last_alert_at,
    )
