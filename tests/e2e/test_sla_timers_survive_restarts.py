"""SLA timers are durable: with a response deadline pending, the worker and the Temporal dev server (its
state in a file) both stop; the deadline passes while nothing runs; both start again. The breach then
fires, escalates and is audited exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlmodel import select

from core.db.models import AuditLog
from core.settings import Settings
from core.temporal import connect
from tests.support.ports import free_port
from tests.support.stack import Stack, alert_body, eventually, make_stack
from worker import temporal_server
from workflows.policy import CompanyPolicy
from workflows.types import Severity, SlaTarget

RESPONSE_S = 12


async def up(settings: Settings, port: int, db_file: Path, log: Path) -> tuple[Any, Stack]:
    server = await temporal_server.start_dev_server(
        port=port, ui_port=free_port(), db_file=db_file, log_file=log, headless=True
    )
    client = await connect(settings)
    stack = make_stack(settings, client)
    await stack.start_api()
    stack.start_worker()
    return server, stack


async def audit_of(stack: Stack, incident_id: str) -> list[tuple[str, dict[str, Any] | None]]:
    async with stack.services.sessions() as session:
        rows = await session.execute(
            select(AuditLog.action, AuditLog.after).where(AuditLog.object_id == incident_id)
        )
        return [(action, after) for action, after in rows]


async def test_a_pending_sla_deadline_fires_once_after_worker_and_server_restart(
    settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    settings = settings.model_copy(update={"temporal_address": f"127.0.0.1:{port}"})
    db_file, log = tmp_path / "temporal.db", tmp_path / "temporal.log"
    server, stack = await up(settings, port, db_file, log)
    try:
        policy = CompanyPolicy(
            sla_overrides={Severity.high: SlaTarget(response_seconds=RESPONSE_S, resolution_seconds=3600)}
        )
        creds = await stack.company(policy=policy)
        incident_id = await stack.incident_of(
            await stack.post_alert(creds, alert_body(signature="queue_stuck"))
        )
        rows = await eventually(lambda: stack.incidents(creds.id), lambda r: bool(r and r[0].sla), timeout=30)
        deadline = rows[0].sla["response"]["deadline"]  # type: ignore[index]
        assert deadline
    finally:
        await stack.close()
        await temporal_server.stop(server)

    await asyncio.sleep(RESPONSE_S + 2)  # the deadline passes while neither worker nor server runs

    server, stack = await up(settings, port, db_file, log)
    try:
        breached = await eventually(
            lambda: audit_of(stack, incident_id),
            lambda rows: any(action == "sla.breached" for action, _ in rows),
            timeout=60,
            interval=0.5,
        )
        await asyncio.sleep(3)  # anything that would fire twice has had its chance
        rows = await audit_of(stack, incident_id)
        actions = [action for action, _ in rows]
        assert actions.count("sla.breached") == 1, breached
        assert actions.count("incident.escalated") == 1
        warnings = [after["percent"] for action, after in rows if action == "sla.warning" and after]
        assert len(warnings) == len(set(warnings)), "a warning was announced twice"
        (incident,) = await stack.incidents(creds.id)
        # The default chain skips levels that reach nobody (no one on call, no admins here): the MSP's.
        assert incident.escalated and incident.escalation_level >= 1 and incident.status == "escalated"
    finally:
        await stack.close()
        await temporal_server.stop(server)
