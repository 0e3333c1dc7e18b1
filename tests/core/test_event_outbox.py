"""The event outbox: events commit with their change, once per call, with ids in commit order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from activities.incident_store import IncidentStore
from core.db.models import Event
from core.events import outbox
from core.events.types import EventDraft
from core.notifications.outbox import Doorbell, NoticeWriter
from tests.support.stack import Stack, alert_body, eventually
from workflows.types import AuditEvent, IncidentState, IncidentStatus, ProjectIncident


async def events_of(stack: Stack, company_id: str) -> list[Event]:
    async with stack.services.sessions() as session:
        rows = await session.execute(select(Event).where(Event.company_id == company_id).order_by(Event.id))
        return list(rows.scalars())


def draft(company_id: str, key: str) -> EventDraft:
    return EventDraft(
        dedup_key=key, type="note.added", company_id=company_id, incident_id=None, at=datetime.now(UTC)
    )


async def test_a_signed_alert_writes_incident_created_then_alert_correlated(stack: Stack) -> None:
    acme = await stack.company()
    incident_id = await stack.incident_of(await stack.post_alert(acme, alert_body()))
    events = await eventually(
        lambda: events_of(stack, acme.id),
        lambda rows: {"incident.created", "alert.correlated"} <= {e.type for e in rows},
    )
    assert all(e.incident_id == incident_id for e in events)
    # A client hears of the incident before it hears of alerts joining it.
    assert [e.type for e in events][:2] == ["incident.created", "alert.correlated"]


async def test_a_rerun_of_the_same_projection_call_adds_no_event(stack: Stack) -> None:
    acme = await stack.company()
    now = datetime.now(UTC)
    state = IncidentState(
        incident_id=f"incident-{acme.id}-rerun-1",
        company_id=acme.id,
        aggregation_key="rerun",
        generation=1,
        status=IncidentStatus.new,
        created_at=now,
        updated_at=now,
        title="rerun",
    )
    req = ProjectIncident(state=state, audit=[AuditEvent(action="incident.opened")], audit_token="tok-rerun")
    store = IncidentStore(stack.services.hot_sessions, NoticeWriter(stack.settings.public_url, Doorbell()))
    await store.project_incident(req)
    first = await events_of(stack, acme.id)
    await store.project_incident(req)
    assert [e.id for e in await events_of(stack, acme.id)] == [e.id for e in first]
    assert [e.type for e in first] == ["incident.created"]


async def test_a_rolled_back_transaction_leaves_no_event(stack: Stack) -> None:
    acme = await stack.company()
    with pytest.raises(RuntimeError):
        async with stack.services.sessions() as session, session.begin():
            outbox.stage(session, [draft(acme.id, "rolled-back")])
            raise RuntimeError("the change fails")
    async with stack.services.sessions() as session, session.begin():
        outbox.stage(session, [draft(acme.id, "committed")])
    assert [e.dedup_key for e in await events_of(stack, acme.id)] == ["committed"]


async def test_ids_follow_commit_order_when_transactions_overlap(stack: Stack) -> None:
    """The transaction that stages first but commits last gets the larger id."""
    acme = await stack.company()
    slow_staged, fast_done = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        async with stack.services.sessions() as session, session.begin():
            outbox.stage(session, [draft(acme.id, "slow")])
            slow_staged.set()
            await asyncio.wait_for(fast_done.wait(), timeout=10)

    async def fast() -> None:
        await slow_staged.wait()
        async with stack.services.sessions() as session, session.begin():
            outbox.stage(session, [draft(acme.id, "fast")])
        fast_done.set()

    await asyncio.gather(slow(), fast())
    assert [e.dedup_key for e in await events_of(stack, acme.id)] == ["fast", "slow"]


async def test_purge_deletes_only_events_past_retention(stack: Stack) -> None:
    acme = await stack.company()
    old = draft(acme.id, "old").model_copy(update={"at": datetime.now(UTC) - timedelta(days=8)})
    async with stack.services.sessions() as session, session.begin():
        outbox.stage(session, [old, draft(acme.id, "new")])
    async with stack.services.sessions() as session, session.begin():
        await outbox.purge_events(session, datetime.now(UTC) - timedelta(days=7), limit=100)
    assert [e.dedup_key for e in await events_of(stack, acme.id)] == ["new"]
