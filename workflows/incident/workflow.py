"""The incident entity workflow: one per incident, fed alerts in batches, owner of the incident's state."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError, ChildWorkflowError
from temporalio.workflow import ChildWorkflowHandle

with workflow.unsafe.imports_passed_through():
    from activities.incident_store import IncidentStore
    from activities.redelivery import Redelivery
    from workflows.incident import attention, remediation, sla
    from workflows.incident.audit import attention_audit, remediation_audit
    from workflows.incident.care import IncidentCare
    from workflows.incident.correlation import (
        absorb,
        accepts_alerts,
        audit_events,
        new_incident_state,
        unique_alerts,
    )
    from workflows.incident.healing import IncidentHealing
    from workflows.incident.parts import DB_WRITE_RETRY, DB_WRITE_TIMEOUT
    from workflows.incident.recovery import (
        end_flapping,
        mark_flapping,
        quiet_deadline,
        recovering_series,
        resolved_by_technician,
        settle,
    )
    from workflows.incident.requests import INCIDENT_CLOSED_ERROR, IncidentRequests
    from workflows.incident.visibility import describe, search_attribute_updates
    from workflows.remediation.types import (
        RemediationResult,
    )
    from workflows.remediation.workflow import REMEDIATION_FINISHED_SIGNAL, RemediationWorkflow
    from workflows.types import (
        OPEN_STATUSES,
        AddAlerts,
        AddAlertsResult,
        AlertRef,
        CorrelationPolicy,
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
# Incidents keep SLA clocks with durable timers, are auto-assigned, and climb their company's escalation
# chain. Runs without the marker do none of it. Deprecate like the patches above.
SLA_PATCH = "sla-clocks-and-escalation"
# Incidents also ask for approvals (approval_requested), report failed or rolled-back runs
# (runbook_failed), and tell the assignee of an escalation. Runs without the marker do not. Deprecate like
# the patches above.
NOTIFIES_PEOPLE_PATCH = "notifies-approvals-failures-and-assignees"
# Incidents honour the company's `sla_tracking` and `auto_assignment` switches (runs without the marker
# read both as on, whatever a policy signal says), and are assigned in the write that makes them visible
# rather than in one of its own. Deprecate like the patches above.
SLA_SWITCHES_PATCH = "sla-and-assignment-switches"
# A reopened incident numbers its notices by round (`:reopen-N:` in their keys): its new resolution clock
# and chain would otherwise repeat the first round's keys, which the notifier sends only once. Runs
# without the marker keep the old keys. Deprecate like the patches above.
REOPEN_ROUNDS_PATCH = "notices-numbered-per-reopen"
# The write that makes an incident visible also carries the first assignee's notice, as an outbox row a
# dispatcher sends (core/notifications/outbox.py), not a `notify` activity. Deprecate like the above.
OUTBOX_NOTICE_PATCH = "first-assignment-notice-in-outbox"
# Temporal caps a run at 2,000 updates and 10,000 signals; continue as new well before either.
MESSAGES_PER_RUN = 1000

FORWARD_HEARTBEAT_TIMEOUT = timedelta(seconds=10)


@workflow.defn
class IncidentWorkflow(IncidentRequests, IncidentCare, IncidentHealing):
    """Alerts in, projection out; decisions and runs (`healing.py`), SLA and escalation (`care.py`)."""

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
        self.tracks_sla = False
        self.notifies_people = False
        self.honours_switches: bool | None = None  # known once `run` has asked
        self.notices_in_outbox = False
        self.numbers_rounds = False  # asked only by a reopened incident
        # The run this very run started, if any: awaited before ending, so that its completion does not
        # arrive while the incident completes (the server would refuse that task and it would run again).
        self.run_handle: ChildWorkflowHandle[RemediationWorkflow, RemediationResult] | None = None
        # Notifications in flight: sent beside the main loop, awaited before the run ends.
        self.sending: list[asyncio.Task[None]] = []
        self.reopen = inp.reopen
        # Handlers that write the incident (resolve) and the main loop take turns.
        self.writing = asyncio.Lock()

    @workflow.run
    async def run(self, inp: IncidentInput) -> IncidentState:
        self.resolves_itself = workflow.patched(RECOVERY_RESOLVES_PATCH)
        self.decides = self.resolves_itself and workflow.patched(DECIDES_PATCH)
        self.tracks_sla = self.decides and workflow.patched(SLA_PATCH)
        self.notifies_people = self.tracks_sla and workflow.patched(NOTIFIES_PEOPLE_PATCH)
        self.honours_switches = self.tracks_sla and workflow.patched(SLA_SWITCHES_PATCH)
        self.notices_in_outbox = self.honours_switches and workflow.patched(OUTBOX_NOTICE_PATCH)
        if not self.honours_switches:
            self.state.policy = attention.switches_on(self.state.policy)
        if (self.reopen is not None or self.state.reopened) and self.tracks_sla:
            self.numbers_rounds = workflow.patched(REOPEN_ROUNDS_PATCH)
        if self.reopen is not None and self.tracks_sla:
            async with self.writing:
                await self._write(
                    attention.reopened(self.state, self.reopen.user_id, workflow.now()),
                    actor=self.reopen.user_id,
                )
        while True:
            if not await self._wait_for_work():
                async with self.writing:
                    handled = await self._approval_timed_out()
                    if self.tracks_sla:
                        handled = await self._attend() or handled
                    if not handled:
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
            if self.tracks_sla:
                async with self.writing:
                    await self._attend()
            if self.resolves_itself and self.state.status not in OPEN_STATUSES:
                return await self._finish()
            if self._continue_as_new_due():
                # Alerts accepted meanwhile travel along, so a steady storm cannot postpone this.
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self.to_forward:
                    await self._forward()
                await self._sent()
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
                remediation.redecision_at(self.state) if self.decides else None,
                sla.next_due(self.state) if self.tracks_sla else None,
                attention.next_escalation(self.state) if self.tracks_sla else None,
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
                    or (self.tracks_sla and attention.needs_care(self.state))
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
        if self.tracks_sla:
            async with self.writing:
                await self._attend()
            await self._sent()
        if self.run_handle is not None:
            # Terminated by an operator, it failed: its outcome never came either.
            with contextlib.suppress(ChildWorkflowError):
                await self.run_handle
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

    @workflow.signal
    def policy_changed(self, policy: CorrelationPolicy) -> None:
        """The company changed its policy: SLA targets and calendar re-arm at the next turn of the loop."""
        self.state.policy = policy if self.honours_switches is not False else attention.switches_on(policy)

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

    def _continue_as_new_due(self) -> bool:
        return workflow.info().is_continue_as_new_suggested() or self.messages_this_run >= MESSAGES_PER_RUN

    async def _record_pending(self) -> None:
        batch = unique_alerts(self.pending, already=set(self.state.recent_alert_ids))
        self.pending = []
        if not batch:
            return
        if self.resolves_itself and self.state.status not in OPEN_STATUSES:
            self.to_forward.extend(batch)  # resolved (by a technician) after these were accepted
            return
        now = workflow.now()
        recoveries = await self._recent_recoveries(batch)
        candidate = self._absorb(self.state, batch, now, recoveries)
        if self.tracks_sla and sla.needs_clocks(candidate):
            candidate = sla.started(candidate, now)  # visible now: its clocks start in the same write
        audit = audit_events(self.state, candidate)
        assigned = notice = None
        if self.honours_switches and attention.needs_assignee(candidate):
            candidate, assigned, notice = await self._assigned_on_call(candidate)  # in the same write
            audit += attention_audit(self.state, candidate, actor=None)
        ids = [a.id for a in batch]
        result: RecordAlertsResult = await workflow.execute_local_activity_method(
            IncidentStore.record_alerts,
            RecordAlerts(
                state=candidate,
                alert_ids=ids,
                attach_token=workflow.uuid4().hex,
                audit=audit,
                notification=notice,
            ),
            start_to_close_timeout=DB_WRITE_TIMEOUT,
            retry_policy=DB_WRITE_RETRY,
        )
        attached = set(result.attached_ids)
        if len(attached) == len(ids):
            self.state = candidate
            if assigned is not None and assigned.user_id is not None and notice is None:
                self._tell_assigned(assigned.user_id, assigned.reason)
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
        if self.tracks_sla:
            audit += attention_audit(previous, self.state, actor)
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
        if self.notifies_people:
            self._remediation_news(previous)

    def _publish(self) -> None:
        workflow.upsert_search_attributes(search_attribute_updates(self.state))
        workflow.set_current_details(describe(self.state))
