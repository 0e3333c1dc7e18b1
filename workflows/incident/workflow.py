"""The incident entity workflow: one per incident, fed alerts in batches, owner of the incident's state."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.decisions import Decider
    from activities.incident_store import IncidentStore
    from activities.redelivery import Redelivery
    from workflows.incident import remediation
    from workflows.incident.audit import remediation_audit
    from workflows.incident.correlation import absorb, accepts_alerts, audit_events, new_incident_state
    from workflows.incident.recovery import (
        end_flapping,
        mark_flapping,
        quiet_deadline,
        recovering_series,
        resolved_by_technician,
        settle,
    )
    from workflows.incident.visibility import describe, search_attribute_updates
    from workflows.remediation.approval import may_approve
    from workflows.remediation.types import (
        ApprovalAnswer,
        DecisionOutcome,
        DecisionRequest,
        RemediationInput,
        RemediationResult,
        RunbookRequest,
    )
    from workflows.remediation.workflow import REMEDIATION_FINISHED_SIGNAL, RemediationWorkflow
    from workflows.types import (
        OPEN_STATUSES,
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
        ResolveIncident,
        SeriesRecoveries,
        SeriesRecoveriesQuery,
    )

INCIDENT_CLOSED_ERROR = "IncidentClosed"
# Runs recorded before incidents resolved themselves keep their old behaviour when replayed.
# Move to workflow.deprecate_patch once no run started before this patch (commit edee91a, deployed
# 2026-11) can be open or replayed: the longest incident lifetime (an open incident continues as new
# for ever, so check `IncidentStatus` in visibility for runs without the patch marker) plus the
# namespace's retention period (default 30 days). Then remove the old branch in a later release.
RECOVERY_RESOLVES_PATCH = "recovery-resolves-incidents"
# A void incident ended at once and dropped alerts and updates that arrived while it found out; now it
# lets handlers answer and forwards the alerts. Deprecate like the patch above, on the same terms.
VOID_HANDS_ON_PATCH = "void-hands-on-late-alerts"
# Incidents decide what to do (rules or an LLM), wait for approval where policy asks, and run runbooks as
# child workflows. Runs without the marker never decide. Deprecate like the patches above.
DECIDES_PATCH = "decides-and-remediates"
NOTHING_AWAITS_APPROVAL_ERROR = "NothingAwaitsApproval"
APPROVER_ROLE_ERROR = "ApproverRoleTooLow"
REMEDIATION_ACTIVE_ERROR = "RemediationInProgress"
# A decision may try several providers, each bounded by AW_MAX_DECISION_SECONDS, before rules decide.
DECISION_TIMEOUT = timedelta(minutes=5)
# Temporal caps a run at 2,000 updates and 10,000 signals; continue as new well before either.
MESSAGES_PER_RUN = 1000

# Database writes are short; retry them for as long as the database is away.
DB_WRITE_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=30)
)
DB_WRITE_TIMEOUT = timedelta(seconds=30)
FORWARD_HEARTBEAT_TIMEOUT = timedelta(seconds=10)


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
        # Outcomes of runbook runs, reported by signal, not yet taken in.
        self.run_results: list[RemediationResult] = list(inp.carried_run_results)
        self.messages_this_run = 0
        self.resolves_itself = False
        self.decides = False
        # Handlers that write the incident (resolve) and the main loop take turns.
        self.writing = asyncio.Lock()

    @workflow.run
    async def run(self, inp: IncidentInput) -> IncidentState:
        self.resolves_itself = workflow.patched(RECOVERY_RESOLVES_PATCH)
        self.decides = self.resolves_itself and workflow.patched(DECIDES_PATCH)
        while True:
            if not await self._wait_for_work():
                async with self.writing:
                    if not await self._approval_timed_out():
                        await self._write(end_flapping(self.state, workflow.now()))
            if self.to_forward:
                await self._forward()
            if self.pending:
                async with self.writing:
                    await self._record_pending()
                if self.state.status == IncidentStatus.void:
                    if workflow.patched(VOID_HANDS_ON_PATCH):
                        return await self._finish()
                    return self.state
            if self.decides:
                async with self.writing:
                    await self._remediate()
            if self.resolves_itself and self.state.status not in OPEN_STATUSES:
                return await self._finish()
            if self._continue_as_new_due():
                # Alerts accepted meanwhile travel along, so a steady storm cannot postpone this.
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self.to_forward:
                    await self._forward()
                workflow.continue_as_new(
                    IncidentInput(
                        carried=self.state, carried_pending=self.pending, carried_run_results=self.run_results
                    )
                )

    async def _wait_for_work(self) -> bool:
        """False when, instead, the flapping series stayed quiet for a whole flap window."""
        deadlines = [
            d
            for d in (
                quiet_deadline(self.state) if self.resolves_itself else None,
                remediation.approval_deadline(self.state) if self.decides else None,
            )
            if d is not None
        ]
        timeout = min(deadlines) - workflow.now() if deadlines else None
        if timeout is not None and timeout <= timedelta(0):
            return False
        try:
            await workflow.wait_condition(
                lambda: (
                    bool(self.pending or self.to_forward)
                    or self._continue_as_new_due()
                    or (self.resolves_itself and self.state.status not in OPEN_STATUSES)
                    or (self.decides and self._remediation_work())
                ),
                timeout=timeout,
            )
        except TimeoutError:
            return False
        return True

    async def _finish(self) -> IncidentState:
        """Resolved or void: let waiting handlers answer, hand alerts that came too late to the incident
        that takes them, then end."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.decides:
            # A runbook still running reports to this run; one awaiting approval is no longer needed.
            async with self.writing:
                await self._remediate()
            await workflow.wait_condition(
                lambda: not remediation.remediation_active(self.state) or bool(self.run_results)
            )
            async with self.writing:
                await self._remediate()
        self.to_forward.extend(self.pending)
        self.pending = []
        while self.to_forward:
            await self._forward()
        return self.state

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

    @workflow.update
    async def resolve(self, req: ResolveIncident) -> IncidentState:
        async with self.writing:
            self._check_open()  # the main loop may have resolved it while this waited
            await self._write(resolved_by_technician(self.state, req.user_id, workflow.now()))
        return self.state

    @resolve.validator
    def _validate_resolve(self, req: ResolveIncident) -> None:
        if not self.resolves_itself:
            raise ApplicationError("this incident's workflow predates resolving", non_retryable=True)
        self._check_open()

    def _check_open(self) -> None:
        if self.state.status not in OPEN_STATUSES:
            raise ApplicationError(
                f"incident is {self.state.status.value}", type=INCIDENT_CLOSED_ERROR, non_retryable=True
            )

    @workflow.update
    async def answer_approval(self, answer: ApprovalAnswer) -> IncidentState:
        """An approver approves or rejects the runbook awaiting approval."""
        async with self.writing:
            self._check_awaiting_approval(answer)  # it may have timed out while this waited
            await self._write(
                remediation.answered(self.state, answer, workflow.now()),
                actor=answer.user_id,
            )
        return self.state

    @answer_approval.validator
    def _validate_answer_approval(self, answer: ApprovalAnswer) -> None:
        self._check_awaiting_approval(answer)

    def _check_awaiting_approval(self, answer: ApprovalAnswer) -> None:
        if (
            not self.decides
            or not remediation.awaiting_approval(self.state)
            or self.state.status not in OPEN_STATUSES
        ):
            raise ApplicationError(
                "nothing awaits approval on this incident",
                type=NOTHING_AWAITS_APPROVAL_ERROR,
                non_retryable=True,
            )
        assert self.state.remediation is not None
        required = self.state.remediation.approval.required_role
        if not may_approve(answer.role, required):
            raise ApplicationError(
                f"approving this {self.state.remediation.risk_level.value}-risk runbook needs "
                f"{required} or above",
                type=APPROVER_ROLE_ERROR,
                non_retryable=True,
            )

    @workflow.update
    async def request_runbook(self, req: RunbookRequest) -> IncidentState:
        """Someone asks for a runbook by hand; the same approval rules apply."""
        async with self.writing:
            self._check_may_request()
            await self._write(remediation.requested(self.state, req, workflow.now()), actor=req.requested_by)
        return self.state

    @request_runbook.validator
    def _validate_request_runbook(self, req: RunbookRequest) -> None:
        self._check_may_request()

    def _check_may_request(self) -> None:
        if not self.decides:
            raise ApplicationError("this incident's workflow predates runbooks", non_retryable=True)
        self._check_open()
        if remediation.remediation_active(self.state):
            raise ApplicationError(
                "a runbook already awaits approval or runs on this incident",
                type=REMEDIATION_ACTIVE_ERROR,
                non_retryable=True,
            )

    @workflow.signal(name=REMEDIATION_FINISHED_SIGNAL)
    def remediation_finished(self, result: RemediationResult) -> None:
        """From the runbook run this incident started, possibly before it continued as new."""
        self.run_results.append(result)

    @workflow.query
    def current_state(self) -> IncidentState:
        return self.state

    async def _forward(self) -> None:
        alerts, self.to_forward = self.to_forward, []
        await workflow.execute_activity_method(
            Redelivery.forward_alerts,
            ForwardAlerts(
                company_id=self.state.company_id, aggregation_key=self.state.aggregation_key, alerts=alerts
            ),
            start_to_close_timeout=timedelta(minutes=2),
            # It heartbeats: if its worker dies, another one forwards the alerts within seconds.
            heartbeat_timeout=FORWARD_HEARTBEAT_TIMEOUT,
        )

    def _remediation_work(self) -> bool:
        return (
            bool(self.run_results)
            or remediation.ready_to_run(self.state)
            or remediation.decision_due(self.state)
        )

    async def _remediate(self) -> None:
        """Take in finished runs, decide where due, and start an approved run. Holds `writing`."""
        results, self.run_results = self.run_results, []
        for result in results:
            current = self.state.remediation
            if current is not None and current.run_id == result.run_id:
                await self._write(remediation.finished(self.state, result, workflow.now()))
        if self.state.status not in OPEN_STATUSES:
            if remediation.awaiting_approval(self.state) or remediation.ready_to_run(self.state):
                await self._write(remediation.withdrawn(self.state, workflow.now()))
            return
        if remediation.decision_due(self.state):
            outcome: DecisionOutcome = await workflow.execute_local_activity_method(
                Decider.decide,
                DecisionRequest(incident=self.state.model_dump(mode="json")),
                start_to_close_timeout=DECISION_TIMEOUT,
                retry_policy=DB_WRITE_RETRY,
            )
            await self._write(remediation.decided(self.state, outcome, workflow.now()), new_decision=True)
        if remediation.ready_to_run(self.state):
            await self._start_run()

    async def _start_run(self) -> None:
        run = self.state.remediation
        assert run is not None
        await workflow.start_child_workflow(
            RemediationWorkflow.run,
            RemediationInput(incident_id=self.state.incident_id, run_id=run.run_id, plan=run.plan),
            id=run.run_id,
            # Continuing as new must not cut a run short; the run reports back by workflow id.
            parent_close_policy=ParentClosePolicy.ABANDON,
            static_summary=f"{run.runbook_name} on {self.state.asset_name}"[:200],
        )
        await self._write(remediation.started(self.state, workflow.now()))

    async def _approval_timed_out(self) -> bool:
        """Escalate if the approval awaited has timed out (holds `writing`); False if none had."""
        deadline = remediation.approval_deadline(self.state) if self.decides else None
        if deadline is None or deadline > workflow.now():
            return False
        await self._write(remediation.approval_timed_out(self.state, workflow.now()))
        return True

    def _continue_as_new_due(self) -> bool:
        return workflow.info().is_continue_as_new_suggested() or self.messages_this_run >= MESSAGES_PER_RUN

    async def _record_pending(self) -> None:
        batch = _unique(self.pending, already=set(self.state.recent_alert_ids))
        self.pending = []
        if not batch:
            return
        if self.resolves_itself and self.state.status not in OPEN_STATUSES:
            self.to_forward.extend(batch)  # resolved (by a technician) after these were accepted
            return
        now = workflow.now()
        recoveries = await self._recent_recoveries(batch)
        candidate = self._absorb(self.state, batch, now, recoveries)
        ids = [a.id for a in batch]
        result: RecordAlertsResult = await workflow.execute_local_activity_method(
            IncidentStore.record_alerts,
            RecordAlerts(
                state=candidate,
                alert_ids=ids,
                attach_token=workflow.uuid4().hex,
                audit=audit_events(self.state, candidate),
            ),
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
            state = self._absorb(previous, kept, now, recoveries) if kept else previous.model_copy(deep=True)
            if state.alert_count == 0 and state.recovery_count == 0:
                state.status = IncidentStatus.void
            await self._write(state)
            return
        self._publish()

    def _absorb(
        self, state: IncidentState, alerts: list[AlertRef], now: datetime, recoveries: dict[str, int]
    ) -> IncidentState:
        after = absorb(state, alerts, now)
        if self.resolves_itself:
            after = settle(mark_flapping(after, recoveries), now)
        return after

    async def _recent_recoveries(self, batch: list[AlertRef]) -> dict[str, int]:
        """How often the series these alerts recover recovered lately, across incidents (flap detection)."""
        policy = self.state.policy
        fingerprints = recovering_series(batch)
        if not self.resolves_itself or not fingerprints or policy.flap_threshold <= 0:
            return {}
        until = max(a.received_at for a in batch)
        found: SeriesRecoveries = await workflow.execute_local_activity_method(
            IncidentStore.count_series_recoveries,
            SeriesRecoveriesQuery(
                company_id=self.state.company_id,
                fingerprints=fingerprints,
                since=until - timedelta(minutes=policy.flap_window_minutes),
                until=until,
            ),
            start_to_close_timeout=DB_WRITE_TIMEOUT,
            retry_policy=DB_WRITE_RETRY,
        )
        return found.counts

    async def _write(
        self, state: IncidentState, actor: str | None = None, new_decision: bool = False
    ) -> None:
        """Adopt `state` and write its projection and audit events."""
        previous, self.state = self.state, state
        audit = audit_events(previous, self.state)
        if self.decides:
            audit += remediation_audit(previous, self.state, actor)
        await workflow.execute_local_activity_method(
            IncidentStore.project_incident,
            ProjectIncident(
                state=self.state,
                audit=audit,
                audit_token=workflow.uuid4().hex,
                new_decision=new_decision,
            ),
            start_to_close_timeout=DB_WRITE_TIMEOUT,
            retry_policy=DB_WRITE_RETRY,
        )
        self._publish()

    def _publish(self) -> None:
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
