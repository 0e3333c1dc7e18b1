"""Activities that write an incident workflow's state into the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.db.models import Alert, CorrelationHead, Incident, table_of
from activities.db.upsert import dialect_of, upsert
from workflows.types import IncidentState, IncidentStatus, ProjectIncident, RecordAlerts, RecordAlertsResult

INCIDENT_TABLE = table_of(Incident)
HEAD_TABLE = table_of(CorrelationHead)
ALERT_TABLE = table_of(Alert)


def incident_row(state: IncidentState) -> dict[str, Any]:
    assert state.created_at and state.updated_at
    return {
        "id": state.incident_id,
        "company_id": state.company_id,
        "aggregation_key": state.aggregation_key,
        "generation": state.generation,
        "status": state.status.value,
        "severity": state.severity.value,
        "priority_score": state.priority_score,
        "alert_count": state.alert_count,
        "recovery_count": state.recovery_count,
        "tool_sources": list(state.tool_sources),
        "recovered_series": state.recovered_series,
        "signature": state.signature,
        "asset_name": state.asset_name,
        "asset_id": state.asset_id,
        "category": state.category,
        "title": state.title[:300],
        "assigned_to": state.assigned_to,
        "created_at": state.created_at,
        "updated_at": state.updated_at,
        "last_alert_at": state.last_alert_at,
    }


class IncidentStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn(name="record_alerts")
    async def record_alerts(self, req: RecordAlerts) -> RecordAlertsResult:
        """Attach alerts that belong to no incident yet; the database decides exactly-once membership."""
        async with self._sessions() as session, session.begin():
            dialect = dialect_of(session)
            attached: list[str] = []
            if req.alert_ids:
                result = await session.execute(
                    update(ALERT_TABLE)
                    .where(ALERT_TABLE.c.id.in_(req.alert_ids), ALERT_TABLE.c.incident_id.is_(None))
                    .values(incident_id=req.state.incident_id)
                    .returning(ALERT_TABLE.c.id)
                )
                attached = [row[0] for row in result]
            if len(attached) == len(set(req.alert_ids)) and req.write_projection_if_all_attached:
                await self._write_projection(session, dialect, req.state)
        return RecordAlertsResult(attached_ids=attached)

    @activity.defn(name="project_incident")
    async def project_incident(self, req: ProjectIncident) -> None:
        async with self._sessions() as session, session.begin():
            await self._write_projection(session, dialect_of(session), req.state)

    async def _write_projection(self, session: AsyncSession, dialect: str, state: IncidentState) -> None:
        if state.status == IncidentStatus.void:
            await session.execute(delete(INCIDENT_TABLE).where(INCIDENT_TABLE.c.id == state.incident_id))
            return
        await session.execute(upsert(dialect, INCIDENT_TABLE, incident_row(state), key=["id"]))
        head = {
            "company_id": state.company_id,
            "aggregation_key": state.aggregation_key,
            "generation": state.generation,
            "incident_id": state.incident_id,
        }
        await session.execute(
            upsert(
                dialect,
                HEAD_TABLE,
                head,
                key=["company_id", "aggregation_key"],
                where=HEAD_TABLE.c.generation < state.generation,
            )
        )
