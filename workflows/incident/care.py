"""The incident workflow's part that looks after it: SLA clocks and their events, auto-assignment, the
escalation chain, and notifications sent beside the main loop (assignments, SLA events, escalations,
approvals asked for, runbook runs that failed)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.notifications import Notifier
    from activities.oncall import OnCall
    from workflows.assignment.types import (
        Approvers,
        ApproversRequest,
        Assignment,
        AssignRequest,
        EscalationRequest,
        EscalationStep,
    )
    from workflows.incident import attention, remediation, sla
    from workflows.incident.parts import DB_WRITE_RETRY, DB_WRITE_TIMEOUT, NOTIFY_TIMEOUT, IncidentParts
    from workflows.notifications.types import NotificationKind, NotifyRequest
    from workflows.remediation.types import Remediation
    from workflows.types import IncidentState, SlaClockKind


class IncidentCare(IncidentParts):
    async def _attend(self) -> bool:
        """Start the SLA clocks and assign when the incident becomes visible; announce SLA events; climb
        the chain when due; stop the resolution clock when it closes. Holds `writing`. True if it wrote."""
        now = workflow.now()
        state, wrote = self.state, False
        if sla.needs_clocks(state):
            await self._write(sla.started(state, now))
            wrote = True
        if attention.needs_assignee(self.state):
            await self._auto_assign()
            wrote = wrote or self.state.assigned_to is not None
        elif attention.resolution_clock_running_after_close(state):
            await self._write(sla.met(state, SlaClockKind.resolution, now))
            return True
        elif sla.targets_changed(state):
            await self._write(sla.retargeted(state, now))
            wrote = True
        after, events = sla.due_events(self.state, now)
        if events:
            await self._write(after)
            wrote = True
            for event in events:
                await self._announce(event)
        if attention.escalation_due(self.state, workflow.now()):
            await self._escalate("no one acknowledged it at the previous level")
            wrote = True
        return wrote

    async def _auto_assign(self) -> None:
        found = await self._on_call(self.state)
        self.state.auto_assigned = True  # tried: nobody on call stays unassigned until someone assigns
        if found.user_id is not None:
            await self._assign(found.user_id, found.reason)

    async def _on_call(self, state: IncidentState) -> Assignment:
        return await workflow.execute_local_activity_method(
            OnCall.choose_assignee,
            AssignRequest(
                incident_id=state.incident_id,
                company_id=state.company_id,
                category=state.category,
                severity=state.severity,
            ),
            start_to_close_timeout=DB_WRITE_TIMEOUT,
            retry_policy=DB_WRITE_RETRY,
        )

    async def _assigned_on_call(
        self, state: IncidentState
    ) -> tuple[IncidentState, Assignment, NotifyRequest | None]:
        """`state` assigned to whoever is on call, for the write that makes it visible (one write, not
        two). With the assignee's notice for that write to carry, since OUTBOX_NOTICE_PATCH (its outbox
        row: no activity, no workflow task); without one, the caller sends `_tell_assigned` once that
        write has gone through."""
        found = await self._on_call(state)
        s = state.model_copy(deep=True)
        s.auto_assigned = True
        if found.user_id is None:
            return s, found, None
        s = attention.assigned(s, found.user_id, workflow.now())
        notice = self._assignment_request(s, found.user_id, found.reason) if self.notices_in_outbox else None
        return s, found, notice

    async def _assign(self, user_id: str, reason: str, actor: str | None = None) -> None:
        await self._write(attention.assigned(self.state, user_id, workflow.now()), actor=actor)
        self._tell_assigned(user_id, reason)

    def _tell_assigned(self, user_id: str, reason: str) -> None:
        request = self._assignment_request(self.state, user_id, reason)
        self.sending.append(asyncio.create_task(self._send(request)))

    def _assignment_request(self, state: IncidentState, user_id: str, reason: str) -> NotifyRequest:
        title = f"Assigned to you: {state.title}"
        return self._request(
            NotificationKind.assignment, f"assignment:{state.assignments}", [user_id], title, reason, state
        )

    async def _escalate(self, reason: str, actor: str | None = None) -> None:
        step: EscalationStep = await workflow.execute_local_activity_method(
            OnCall.escalation_step,
            EscalationRequest(
                incident_id=self.state.incident_id,
                company_id=self.state.company_id,
                level=self.state.escalation_level + 1,
            ),
            start_to_close_timeout=DB_WRITE_TIMEOUT,
            retry_policy=DB_WRITE_RETRY,
        )
        reassigned = step.reassign_to is not None and step.reassign_to != self.state.assigned_to
        await self._write(attention.escalated(self.state, step, workflow.now()), actor=actor)
        told = list(step.notify_user_ids)
        if self.notifies_people and self.state.assigned_to:
            told.append(self.state.assigned_to)  # whoever holds it now, reassigned or not, hears of it
        self._notify(
            NotificationKind.escalation,
            f"escalation:{step.level}",
            told,
            f"Escalated to level {step.level}: {self.state.title}",
            reason,
        )
        if reassigned:
            self._notify(
                NotificationKind.assignment,
                f"assignment:{self.state.assignments}",
                [self.state.assigned_to or ""],
                f"Assigned to you (escalation level {step.level}): {self.state.title}",
                reason,
            )

    async def _announce(self, event: sla.SlaEvent) -> None:
        clock = event.clock.value
        if event.breach:
            self._notify(
                NotificationKind.sla_breached,
                f"sla:{clock}:breached",
                [u for u in [self.state.assigned_to] if u],
                f"SLA breached ({clock}): {self.state.title}",
                f"The {clock} deadline {event.deadline} has passed.",
            )
            await self._escalate(f"the {clock} SLA was breached")
        else:
            self._notify(
                NotificationKind.sla_warning,
                f"sla:{clock}:{event.percent}",
                [u for u in [self.state.assigned_to] if u],
                f"SLA {event.percent} % used ({clock}): {self.state.title}",
                f"The {clock} deadline is {event.deadline}.",
            )

    def _remediation_news(self, before: IncidentState) -> None:
        """After a write: ask for the approval the incident now awaits; tell a person that a run failed."""
        asking = remediation.newly_awaiting_approval(before, self.state)
        if asking is not None:
            self._notify_found(
                self._request(
                    NotificationKind.approval_requested,
                    f"approval:{self._run_number(asking)}",
                    [],
                    f"Approval needed: {asking.runbook_name} on {self.state.title}",
                    f"A {asking.risk_level.value}-risk runbook awaits approval by a "
                    f"{asking.approval.required_role or 'technician'} or above, until "
                    f"{asking.approval.timeout_at}; unanswered, the incident escalates.",
                ),
                self._approvers(asking, self.state.assigned_to),
            )
        failed = remediation.newly_failed(before, self.state)
        if failed is not None:
            self._notify_found(
                self._request(
                    NotificationKind.runbook_failed,
                    f"runbook_failed:{self._run_number(failed)}",
                    [],
                    f"Runbook {failed.status.value.replace('_', ' ')}: {failed.runbook_name} on "
                    f"{self.state.title}",
                    failed.error or "The runbook did not fix the incident; it is yours now.",
                ),
                self._responsible(self.state.assigned_to),
            )

    def _run_number(self, run: Remediation) -> str:
        return run.run_id.removeprefix(f"{self.state.incident_id}-")

    async def _approvers(self, run: Remediation, assignee: str | None) -> list[str]:
        """What a technician may approve asks whoever is responsible (`_responsible`: any technician may
        approve it); more asks the company's users of the role it needs, and tells the assignee."""
        required = run.approval.required_role or "technician"
        if required == "technician":
            return await self._responsible(assignee)
        found: Approvers = await workflow.execute_local_activity_method(
            OnCall.approvers,
            ApproversRequest(company_id=self.state.company_id, required_role=required),
            start_to_close_timeout=DB_WRITE_TIMEOUT,
            retry_policy=DB_WRITE_RETRY,
        )
        return [*found.user_ids, *([assignee] if assignee else [])]

    async def _responsible(self, assignee: str | None) -> list[str]:
        """The assignee; nobody assigned, whom the escalation chain's first level reaches (on call)."""
        if assignee is not None:
            return [assignee]
        step: EscalationStep = await workflow.execute_local_activity_method(
            OnCall.escalation_step,
            EscalationRequest(incident_id=self.state.incident_id, company_id=self.state.company_id, level=1),
            start_to_close_timeout=DB_WRITE_TIMEOUT,
            retry_policy=DB_WRITE_RETRY,
        )
        return step.notify_user_ids

    def _notify(self, kind: NotificationKind, key: str, user_ids: list[str], title: str, body: str) -> None:
        """Send beside the main loop: a slow or failing channel never holds the incident up."""
        if not user_ids:
            return
        request = self._request(kind, key, user_ids, title, body)
        self.sending.append(asyncio.create_task(self._send(request)))

    def _notify_found(self, request: NotifyRequest, recipients: Awaitable[list[str]]) -> None:
        """Like `_notify`, to users looked up beside the main loop too."""

        async def find_then_send() -> None:
            user_ids = await recipients
            if user_ids:
                await self._send(request.model_copy(update={"user_ids": sorted(set(user_ids))}))

        self.sending.append(asyncio.create_task(find_then_send()))

    def _request(
        self,
        kind: NotificationKind,
        key: str,
        user_ids: list[str],
        title: str,
        body: str,
        state: IncidentState | None = None,
    ) -> NotifyRequest:
        state = state or self.state
        if self.numbers_rounds and state.reopened:
            key = f"reopen-{state.reopened}:{key}"
        return NotifyRequest(
            notification_key=f"{state.incident_id}:{key}",
            company_id=state.company_id,
            incident_id=state.incident_id,
            kind=kind,
            severity=state.severity,
            title=title[:300],
            body=body,
            user_ids=sorted(set(user_ids)),
        )

    async def _send(self, request: NotifyRequest) -> None:
        await workflow.execute_activity_method(
            Notifier.notify, request, start_to_close_timeout=NOTIFY_TIMEOUT, retry_policy=DB_WRITE_RETRY
        )

    async def _sent(self) -> None:
        """Wait for notifications in flight, so that none is lost when this run ends."""
        sending, self.sending = self.sending, []
        if sending:
            await asyncio.gather(*sending)
