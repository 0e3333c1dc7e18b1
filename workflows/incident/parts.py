"""What the incident workflow's parts share: call options, and the members each part relies on."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ChildWorkflowHandle

with workflow.unsafe.imports_passed_through():
    from workflows.remediation.types import RemediationResult
    from workflows.remediation.workflow import RemediationWorkflow
    from workflows.types import IncidentState

# Database writes are short; retry them for as long as the database is away.
DB_WRITE_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=30)
)
DB_WRITE_TIMEOUT = timedelta(seconds=30)
# A decision may try several providers, each bounded by AW_MAX_DECISION_SECONDS, before rules decide.
DECISION_TIMEOUT = timedelta(minutes=5)
# Notifications retry each channel inside their activity (about a minute); these retries cover the
# database, after a dead attempt's claim on a channel has lapsed.
NOTIFY_TIMEOUT = timedelta(minutes=5)


class IncidentParts:
    """The incident workflow's state and writer, as its parts (healing, care) see them; the workflow
    class sets and defines them."""

    state: IncidentState
    writing: asyncio.Lock
    decides: bool
    tracks_sla: bool
    notifies_people: bool  # approvals asked for, failed runs, escalations to the assignee
    notices_in_outbox: bool  # the first assignment's notice is written with the incident
    numbers_rounds: bool  # a reopened incident's notices are keyed by its round
    run_results: list[RemediationResult]
    run_handle: ChildWorkflowHandle[RemediationWorkflow, RemediationResult] | None
    sending: list[asyncio.Task[None]]

    async def _write(
        self, state: IncidentState, actor: str | None = None, new_decision: bool = False
    ) -> None:
        raise NotImplementedError

    async def _escalate(self, reason: str, actor: str | None = None) -> None:
        raise NotImplementedError

    async def _assign(self, user_id: str, reason: str, actor: str | None = None) -> None:
        raise NotImplementedError
