"""The incident entity workflow: one per incident, fed alerts in batches, owner of the incident's state."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import (
    RetryPolicy,
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.correlation import absorb, accepts_alerts, audit_events, new_incident_state
    from workflows.types import (
        AddAlerts,
        AddAlertsResult,
        AlertRef,
        ForwardAlerts,
        IncidentInput,
        IncidentState,
        IncidentStatus,
        ProjectIncident,
        RecordAlerts,
        RecordAlertsResult,
    )

COMPANY_ID = SearchAttributeKey.for_keyword("CompanyId")
INCIDENT_STATUS = SearchAttributeKey.for_keyword("IncidentStatus")
SEVERITY = SearchAttributeKey.for_keyword("Severity")
ASSET_NAME = SearchAttributeKey.for_keyword("AssetName")
ALERT_SIGNATURE = SearchAttributeKey.for_keyword("AlertSignature")
PRIORITY_SCORE = SearchAttributeKey.for_int("PriorityScore")
ALERT_COUNT = SearchAttributeKey.for_int("AlertCount")
SEARCH_ATTRIBUTE_KEYS = (
    COMPANY_ID,
    INCIDENT_STATUS,
    SEVERITY,
    ASSET_NAME,
    ALERT_SIGNATURE,
    PRIORITY_SCORE,
    ALERT_COUNT,
)

INCIDENT_CLOSED_ERROR = "IncidentClosed"
# Temporal caps a run at 2,000 updates and 10,000 signals; continue as new well before either.
MESSAGES_PER_RUN = 1000

# Database writes are short; retry them for as long as the database is away.
DB_WRITE_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=30)
)
DB_WRITE_TIMEOUT = timedelta(seconds=30)


def search_attributes(state: IncidentState) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(COMPANY_ID, state.company_id),
            SearchAttributePair(INCIDENT_STATUS, state.status.value),
            SearchAttributePair(SEVERITY, state.severity.value),
            SearchAttributePair(ASSET_NAME, state.asset_name),
            SearchAttributePair(ALERT_SIGNATURE, state.signature),
            SearchAttributePair(PRIORITY_SCORE, state.priority_score),
            SearchAttributePair(ALERT_COUNT, state.alert_count),
        ]
    )


def search_attribute_updates(state: IncidentState) -> list[SearchAttributeUpdate]:
    return [pair.key.value_set(pair.value) for pair in search_attributes(state)]


def describe(state: IncidentState) -> str:
    recovered = state.recovered_series
    lines = [
        f"**{state.severity.value.upper()}** {state.title}",
        f"Company {state.company_name or state.company_id}, asset `{state.asset_name}`, "
        f"signature `{state.signature}`",
        f"Status **{state.status.value}**, priority {state.priority_score}/100, "
        f"{state.alert_count} alert(s) from {', '.join(state.tool_sources) or 'no source'}",
        f"Grouped by `{state.aggregation_key}`, last alert {state.last_alert_at}",
    ]
    if recovered:
        lines.append(f"Recovered series: {len(recovered)} of {len(state.series)}")
    return "\n\n".join(lines)


@workflow.defn
class IncidentWorkflow:
    @workflow.init
    def __init__(self, inp: IncidentInput) -> None:
        if inp.carried is not None:
            self.state = inp.carried
            self.pending: list[AlertRef] = list(inp.carried_pending)
        else:
            assert inp.start is not None
            self.state = new_incident_state(inp.start)
            self.pending = list(inp.start.alerts)
        self.to_forward: list[AlertRef] = []
        self.messages_this_run = 0

    @workflow.run
    async def run(self, inp: IncidentInput) -> IncidentState:
        while True:
            await workflow.wait_condition(
                lambda: bool(self.pending or self.to_forward) or self._continue_as_new_due()
            )
            if self.to_forward:
                await self._forward()
            if self.pending:
                await self._record_pending()
                if self.state.status == IncidentStatus.void:
                    return self.state
            if self._continue_as_new_due():
                # Alerts accepted meanwhile travel along, so a steady storm cannot postpone this.
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self.to_forward:
                    await self._forward()
                workflow.continue_as_new(IncidentInput(carried=self.state, carried_pending=self.pending))

    @workflow.update
    def add_alerts(self, req: AddAlerts) -> AddAlertsResult:
        self.pending.extend(req.alerts)
        self.messages_this_run += 1
        return AddAlertsResult(incident_id=self.state.incident_id, accepted=len(req.alerts))

    @add_alerts.validator
    def _validate_add_alerts(self, req: AddAlerts) -> None:
        if not req.alerts:
            raise ValueError("an update must carry at least one alert")
        reason = self._refusal(req.alerts)
        if reason:
            raise ApplicationError(reason, type=INCIDENT_CLOSED_ERROR, non_retryable=True)

    @workflow.signal
    def alerts_arrived(self, req: AddAlerts) -> None:
        """The fast path: senders signal when they know the incident takes the alerts. Should it have
        closed meanwhile, the alerts are forwarded to the incident that takes them."""
        self.messages_this_run += 1
        if not req.alerts:
            return
        if self._refusal(req.alerts):
            self.to_forward.extend(req.alerts)
        else:
            self.pending.extend(req.alerts)

    def _refusal(self, alerts: list[AlertRef]) -> str | None:
        # Alerts accepted but not yet recorded count as the latest ones for the window check.
        view = self.state
        if self.pending:
            latest = max(a.received_at for a in self.pending)
            if view.last_alert_at is None or latest > view.last_alert_at:
                view = view.model_copy(update={"last_alert_at": latest})
        return accepts_alerts(view, alerts)

    @workflow.query
    def current_state(self) -> IncidentState:
        return self.state

    async def _forward(self) -> None:
        alerts, self.to_forward = self.to_forward, []
        await workflow.execute_activity(
            "forward_alerts",
            ForwardAlerts(
                company_id=self.state.company_id, aggregation_key=self.state.aggregation_key, alerts=alerts
            ),
            start_to_close_timeout=timedelta(minutes=2),
        )

    def _continue_as_new_due(self) -> bool:
        return workflow.info().is_continue_as_new_suggested() or self.messages_this_run >= MESSAGES_PER_RUN

    async def _record_pending(self) -> None:
        batch = _unique(self.pending, already=set(self.state.recent_alert_ids))
        self.pending = []
        if not batch:
            return
        now = workflow.now()
        candidate = absorb(self.state, batch, now)
        ids = [a.id for a in batch]
        result: RecordAlertsResult = await workflow.execute_local_activity(
            "record_alerts",
            RecordAlerts(
                state=candidate,
                alert_ids=ids,
                attach_token=workflow.uuid4().hex,
                audit=audit_events(self.state, candidate),
            ),
            result_type=RecordAlertsResult,
            start_to_close_timeout=DB_WRITE_TIMEOUT,
            retry_policy=DB_WRITE_RETRY,
        )
        attached = set(result.attached_ids)
        if len(attached) == len(ids):
            self.state = candidate
        else:
            # Some alerts already belonged to an incident (redelivered after a crash): count only ours.
            kept = [a for a in batch if a.id in attached]
            previous = self.state
            self.state = absorb(previous, kept, now) if kept else previous.model_copy(deep=True)
            if self.state.alert_count == 0 and self.state.recovery_count == 0:
                self.state.status = IncidentStatus.void
            await workflow.execute_local_activity(
                "project_incident",
                ProjectIncident(
                    state=self.state,
                    audit=audit_events(previous, self.state),
                    audit_token=workflow.uuid4().hex,
                ),
                start_to_close_timeout=DB_WRITE_TIMEOUT,
                retry_policy=DB_WRITE_RETRY,
            )
        workflow.upsert_search_attributes(search_attribute_updates(self.state))
        workflow.set_current_details(describe(self.state))


def _unique(alerts: list[AlertRef], already: set[str]) -> list[AlertRef]:
    seen = set(already)
    out = []
    for alert in alerts:
        if alert.id not in seen:
            seen.add(alert.id)
            out.append(alert)
    return out
