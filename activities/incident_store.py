"""Activities that write incident workflows' state into the database.

Concurrent calls from many incident workflows share one transaction (a micro-batch), so an alert
storm across thousands of incidents costs a few commits, not one per workflow task.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from core.audit import SYSTEM_ACTOR
from core.db.micro_batch import MicroBatcher
from core.db.models import (
    Alert,
    AuditLog,
    CorrelationHead,
    DecisionRecord,
    Incident,
    RemediationRun,
    table_of,
)
from core.db.upsert import dialect_of, insert_ignoring_conflicts, upsert_statement
from core.events import outbox
from core.events.mapping import projection_events, recorded_events
from core.notifications.outbox import NoticeWriter
from workflows.types import (
    AuditEvent,
    IncidentState,
    IncidentStatus,
    ProjectIncident,
    RecordAlerts,
    RecordAlertsResult,
    SeriesRecoveries,
    SeriesRecoveriesQuery,
)

INCIDENTS = table_of(Incident)
HEADS = table_of(CorrelationHead)
ALERTS = table_of(Alert)
AUDIT = table_of(AuditLog)
DECISIONS = table_of(DecisionRecord)
RUNS = table_of(RemediationRun)

ATTACH = (
    update(ALERTS)
    .where(
        ALERTS.c.id.in_(bindparam("ids", expanding=True)),
        or_(
            ALERTS.c.incident_id.is_(None),
            and_(
                ALERTS.c.incident_id == bindparam("incident_id"), ALERTS.c.attach_token == bindparam("token")
            ),
        ),
    )
    .values(incident_id=bindparam("incident_id"), attach_token=bindparam("token"))
    .returning(ALERTS.c.id)
)


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
        "resolution": state.resolution,
        "resolved_at": state.resolved_at,
        "resolved_by": state.resolved_by,
        "awaiting_confirmation": state.awaiting_confirmation,
        "flapping_series": state.flapping_series,
        "decision": state.decision.model_dump(mode="json") if state.decision else None,
        "remediation": state.remediation.model_dump(mode="json") if state.remediation else None,
        "sla": state.sla.model_dump(mode="json") if state.sla else None,
        "acknowledged_at": state.acknowledged_at,
        "acknowledged_by": state.acknowledged_by,
        "escalated": state.escalated,
        "escalation_level": state.escalation_level,
    }


def head_row(state: IncidentState) -> dict[str, Any]:
    return {
        "company_id": state.company_id,
        "aggregation_key": state.aggregation_key,
        "generation": state.generation,
        "incident_id": state.incident_id,
    }


class IncidentStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], notices: NoticeWriter) -> None:
        self._sessions = sessions
        self._notices = notices
        self._records: MicroBatcher[RecordAlerts, RecordAlertsResult] = MicroBatcher(self._record_batch)

    @activity.defn(name="record_alerts")
    async def record_alerts(self, req: RecordAlerts) -> RecordAlertsResult:
        """Attach alerts that belong to no incident yet; the database decides exactly-once membership.
        Writes the incident's projection too when every alert was attached, and with it the notice the
        request carries (in-app now; email and Slack by the notification outbox's dispatcher)."""
        return await self._records.submit(req)

    @activity.defn(name="project_incident")
    async def project_incident(self, req: ProjectIncident) -> None:
        async with self._sessions() as session, session.begin():
            await self._write_projections(session, [req.state])
            await _write_audit(session, req.state, req.audit, req.audit_token)
            await _write_remediation_history(session, req)
            outbox.stage(session, projection_events(req.state, req.audit, req.audit_token))

    @activity.defn(name="count_series_recoveries")
    async def count_series_recoveries(self, req: SeriesRecoveriesQuery) -> SeriesRecoveries:
        """Recoveries of these series in the window, in any incident or none, for flap detection."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(ALERTS.c.fingerprint, func.count())
                .where(
                    ALERTS.c.company_id == req.company_id,
                    ALERTS.c.fingerprint.in_(req.fingerprints),
                    ALERTS.c.status == "resolved",
                    ALERTS.c.received_at > req.since,
                    ALERTS.c.received_at <= req.until,
                )
                .group_by(ALERTS.c.fingerprint)
            )
            return SeriesRecoveries(counts={fingerprint: int(n) for fingerprint, n in rows})

    async def _record_batch(self, requests: list[RecordAlerts]) -> list[RecordAlertsResult]:
        results = []
        to_project = []
        notices = []
        async with self._sessions() as session, session.begin():
            for req in requests:
                attached: list[str] = []
                if req.alert_ids:
                    rows = await session.execute(
                        ATTACH,
                        {
                            "ids": req.alert_ids,
                            "incident_id": req.state.incident_id,
                            "token": req.attach_token,
                        },
                    )
                    attached = list(rows.scalars())
                projected = len(attached) == len(set(req.alert_ids)) and req.write_projection_if_all_attached
                if projected:
                    to_project.append(req.state)
                    await _write_audit(session, req.state, req.audit, req.attach_token)
                    if req.notification is not None:
                        notices.append(req.notification)
                events = recorded_events(
                    req.state, req.audit, attached, req.attach_token, projected=projected
                )
                outbox.stage(session, events)
                results.append(RecordAlertsResult(attached_ids=attached))
            await self._write_projections(session, to_project)
            await self._notices.stage(session, notices)
        if notices:
            self._notices.committed()
        return results

    async def _write_projections(self, session: AsyncSession, states: list[IncidentState]) -> None:
        dialect = dialect_of(session)
        void = [s.incident_id for s in states if s.status == IncidentStatus.void]
        if void:
            await session.execute(delete(INCIDENTS).where(INCIDENTS.c.id.in_(void)))
        # The newest state per incident wins when one batch carries several of the same incident.
        live = {s.incident_id: s for s in states if s.status != IncidentStatus.void}
        if not live:
            return
        await session.execute(
            upsert_statement(dialect, INCIDENTS, ("id",)), [incident_row(s) for s in live.values()]
        )
        heads = {
            (s.company_id, s.aggregation_key): s for s in sorted(live.values(), key=lambda s: s.generation)
        }
        await session.execute(
            upsert_statement(dialect, HEADS, ("company_id", "aggregation_key"), only_if_newer="generation"),
            [head_row(s) for s in heads.values()],
        )


async def _write_remediation_history(session: AsyncSession, req: ProjectIncident) -> None:
    """The decision just made (id from the call's token: a re-run adds nothing) and the run's row."""
    state = req.state
    dialect = dialect_of(session)
    if req.new_decision and state.decision is not None:
        d = state.decision
        row = {
            "id": f"dec_{req.audit_token[:24]}",
            "incident_id": state.incident_id,
            "company_id": state.company_id,
            "asset_name": state.asset_name[:255],
            "signature": state.signature[:255],
            "action": d.action.value,
            "runbook_id": d.runbook_id,
            "confidence": d.confidence,
            "reasoning": d.reasoning,
            "provider": d.provider,
            "tokens_used": d.tokens_used,
            "duration_ms": d.duration_ms,
            "created_at": d.created_at,
        }
        await session.execute(insert_ignoring_conflicts(dialect, DECISIONS, [row]))
    run = state.remediation
    if run is not None:
        run_row = {
            "id": run.run_id,
            "incident_id": state.incident_id,
            "company_id": state.company_id,
            "asset_name": state.asset_name[:255],
            "signature": state.signature[:255],
            "runbook_id": run.runbook_id,
            "status": run.status.value,
            "requested_by": run.requested_by,
            "approval": run.approval.model_dump(mode="json"),
            "steps": [step.model_dump(mode="json") for step in run.steps],
            "requested_at": run.requested_at or state.updated_at,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "error": run.error,
        }
        await session.execute(upsert_statement(dialect, RUNS, ("id",)), [run_row])


async def _write_audit(
    session: AsyncSession, state: IncidentState, events: list[AuditEvent], token: str
) -> None:
    """Audit rows with ids derived from the call's token: a re-run of the same call adds nothing."""
    if not events:
        return
    rows = [
        {
            "id": f"aud_{token[:24]}_{i}",
            "at": state.updated_at,
            "actor": event.actor or SYSTEM_ACTOR,
            "action": event.action,
            "company_id": state.company_id,
            "object_type": "incident",
            "object_id": state.incident_id,
            "before": event.before,
            "after": event.after,
        }
        for i, event in enumerate(events)
    ]
    await session.execute(insert_ignoring_conflicts(dialect_of(session), AUDIT, rows))
