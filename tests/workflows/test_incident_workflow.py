"""The incident workflow alone, with stand-in activities on the time-skipping server: no database.

In the style of Temporal's samples: each stand-in is an `@activity.defn` under the real activity's name,
so the workflow runs unchanged and the test controls what the outside world answers.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from workflows.incident.correlation import aggregation_key, series_fingerprint
from workflows.incident.workflow import IncidentWorkflow
from workflows.types import (
    AddAlerts,
    AggregationMode,
    AlertRef,
    ForwardAlerts,
    IncidentInput,
    IncidentStart,
    IncidentState,
    IncidentStatus,
    ProjectIncident,
    RecordAlerts,
    RecordAlertsResult,
    ResolveIncident,
    SeriesRecoveries,
    SeriesRecoveriesQuery,
    Severity,
)

KEY = aggregation_key(AggregationMode.asset_signature, asset="db-1", signature="disk_full")


def alert(n: int) -> AlertRef:
    return AlertRef(
        id=f"al-{n}-{uuid.uuid4().hex[:6]}",
        received_at=datetime.now(UTC),
        severity=Severity.high,
        tool_source="test",
        fingerprint=series_fingerprint(asset="db-1", signature="disk_full"),
        asset_name="db-1",
        signature="disk_full",
    )


@dataclass
class OutsideWorld:
    """What the stand-in activities were asked, and how the database answers `record_alerts`."""

    already_elsewhere: set[str] = field(default_factory=set)
    recording: asyncio.Event = field(default_factory=asyncio.Event)
    release_recording: asyncio.Event = field(default_factory=asyncio.Event)
    projected: list[IncidentState] = field(default_factory=list)
    forwarded: list[AlertRef] = field(default_factory=list)

    def activities(self) -> list[object]:
        @activity.defn(name="record_alerts")
        async def record_alerts(req: RecordAlerts) -> RecordAlertsResult:
            self.recording.set()
            await self.release_recording.wait()
            return RecordAlertsResult(
                attached_ids=[i for i in req.alert_ids if i not in self.already_elsewhere]
            )

        @activity.defn(name="project_incident")
        async def project_incident(req: ProjectIncident) -> None:
            self.projected.append(req.state)

        @activity.defn(name="count_series_recoveries")
        async def count_series_recoveries(req: SeriesRecoveriesQuery) -> SeriesRecoveries:
            return SeriesRecoveries(counts={})

        @activity.defn(name="forward_alerts")
        async def forward_alerts(req: ForwardAlerts) -> None:
            self.forwarded.extend(req.alerts)

        return [record_alerts, project_incident, count_series_recoveries, forward_alerts]


def start_input(first: AlertRef, incident_id: str) -> IncidentInput:
    return IncidentInput(
        start=IncidentStart(
            incident_id=incident_id, company_id="co-1", aggregation_key=KEY, generation=1, alerts=[first]
        )
    )


@pytest.fixture
def task_queue() -> str:
    return f"wf-{uuid.uuid4().hex[:8]}"


async def test_two_alerts_for_one_key_make_one_incident_counting_both(
    skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    world = OutsideWorld()
    world.release_recording.set()
    async with Worker(
        skipping_env.client,
        task_queue=task_queue,
        workflows=[IncidentWorkflow],
        activities=world.activities(),
    ):
        incident_id = f"incident-{uuid.uuid4().hex[:8]}"
        handle = await skipping_env.client.start_workflow(
            IncidentWorkflow.run, start_input(alert(1), incident_id), id=incident_id, task_queue=task_queue
        )
        await handle.execute_update(IncidentWorkflow.add_alerts, AddAlerts(alerts=[alert(2)]))
        state = await handle.query(IncidentWorkflow.current_state)
        while state.alert_count < 2:
            await asyncio.sleep(0.05)
            state = await handle.query(IncidentWorkflow.current_state)
        assert state.alert_count == 2 and state.status == IncidentStatus.new
        await handle.terminate()


async def test_alert_and_resolve_arriving_while_an_incident_finds_itself_void_are_not_lost(
    temporal_client: Client, task_queue: str
) -> None:
    """On the dev server, in real time: the time-skipping server would skip past a local activity that
    the test holds open.

    The incident's only alert already belonged to another incident (a redelivery after a crash), so it
    turns void and ends. An alert signalled, and a resolve sent, while it was finding that out must not
    be lost. Temporal refuses to complete a run over an unhandled signal, so the task is retried and the
    alert may join this very incident; if the incident still ends void, the alert is forwarded. Either
    way it is counted exactly once, and the resolve gets an answer rather than an abandoned call."""
    world = OutsideWorld()
    first, late = alert(1), alert(2)
    world.already_elsewhere.add(first.id)
    async with Worker(
        temporal_client, task_queue=task_queue, workflows=[IncidentWorkflow], activities=world.activities()
    ):
        incident_id = f"incident-{uuid.uuid4().hex[:8]}"
        handle = await temporal_client.start_workflow(
            IncidentWorkflow.run, start_input(first, incident_id), id=incident_id, task_queue=task_queue
        )
        await asyncio.wait_for(world.recording.wait(), timeout=10)
        await handle.signal(IncidentWorkflow.alerts_arrived, AddAlerts(alerts=[late]))
        resolving = asyncio.create_task(
            handle.execute_update(IncidentWorkflow.resolve, ResolveIncident(user_id="us-1"))
        )
        await asyncio.sleep(0.5)  # let the server admit the update before the recording answers
        world.release_recording.set()

        final = await asyncio.wait_for(handle.result(), timeout=20)
        forwarded = [a.id for a in world.forwarded]
        assert final.alert_count + len(forwarded) == 1, "the late alert is counted here or forwarded, once"
        if final.status == IncidentStatus.void:
            assert forwarded == [late.id]
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await asyncio.wait_for(resolving, timeout=10)
            assert "incident is void" in str(refused.value.cause)
        else:
            assert final.recent_alert_ids == [late.id] and forwarded == []
            resolved = await asyncio.wait_for(resolving, timeout=10)
            assert resolved.status == IncidentStatus.resolved and resolved.resolved_by == "us-1"
