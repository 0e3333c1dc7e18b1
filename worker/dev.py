"""`alert-whisperer dev`: Temporal dev server, migrations, demo tenant, worker and API in one process tree."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from rich.console import Console

from api.app import create_app
from api.server import server_config
from core.db.migrate import upgrade_to_head
from core.runtime import build_services
from core.settings import Settings
from core.temporal import connect
from worker import temporal_server
from worker.logs import uvicorn_log_config
from worker.ports import refuse_taken_ports
from worker.seed import seed_demo, seed_runbooks
from worker.worker import (
    build_worker,
    ensure_event_purge_schedule,
    ensure_notification_outbox_loop,
    ensure_redelivery_loop,
)

console = Console()


class _Uvicorn(uvicorn.Server):
    """Leaves Ctrl-C to the supervisor, which stops the API, the worker and Temporal in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_dev(
    settings: Settings, *, api_port: int, temporal_port: int, temporal_ui_port: int, data_dir: Path
) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    if "database_url" not in settings.model_fields_set:
        settings.database_url = f"sqlite+aiosqlite:///{(data_dir / 'alert_whisperer.db').resolve()}"
    settings.temporal_address = f"127.0.0.1:{temporal_port}"
    settings.temporal_ui_url = f"http://127.0.0.1:{temporal_ui_port}"
    # One machine, one developer: runbooks on the local executor (the demo's only echo) may run here,
    # unless AW_LOCAL_EXECUTOR=false says otherwise.
    if "local_executor" not in settings.model_fields_set:
        settings.local_executor = True

    refuse_taken_ports({api_port: ("API", "--api-port")})
    with console.status("Starting Temporal dev server…"):
        server = await temporal_server.start_dev_server(
            port=temporal_port,
            ui_port=temporal_ui_port,
            db_file=data_dir / "temporal.db",
            log_file=data_dir / "temporal.log",
        )
    try:
        with console.status("Migrating the database…"):
            await asyncio.to_thread(upgrade_to_head, settings.database_url)
        client = await connect(settings)
        services = build_services(settings, client, eager_start=True)
        credentials_file = data_dir / "demo-credentials.json"
        fresh = await seed_demo(services, credentials_file)
        # The demo runbooks too: dev runs `alert-whisperer demo`'s stream, and they only echo.
        await seed_runbooks(services, include_demo=True)
        worker = build_worker(client, services)
        await ensure_redelivery_loop(client, services)
        await ensure_notification_outbox_loop(client, services)
        await ensure_event_purge_schedule(client, services)
        api = _Uvicorn(
            server_config(
                create_app(settings, services),
                settings,
                host="127.0.0.1",
                port=api_port,
                log_level="warning",
                log_config=uvicorn_log_config(),
            )
        )
        _banner(settings, api_port, credentials_file, fresh)

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        worker_task = asyncio.create_task(worker.run())
        api_task = asyncio.create_task(api.serve())
        stopped = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({worker_task, api_task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        console.print("\nStopping…")
        api.should_exit = True
        await asyncio.gather(api_task, return_exceptions=True)
        await worker.shutdown()
        await asyncio.gather(worker_task, return_exceptions=True)
        await services.close()
        for task in done:
            if task is not stopped and task.exception():
                raise task.exception()  # type: ignore[misc]
    finally:
        await temporal_server.stop(server)
        console.print("Stopped.")


def _banner(settings: Settings, api_port: int, credentials_file: Path, fresh: dict[str, str] | None) -> None:
    console.rule("[bold]Alert Whisperer is running")
    console.print(f"API and UI      http://127.0.0.1:{api_port}   (docs: /docs)")
    console.print(f"Temporal Web UI {settings.temporal_ui_url}")
    console.print(f"Database        {settings.database_url}")
    providers = ", ".join(settings.agent_provider)
    local = "on (runbooks may run commands on this machine)" if settings.local_executor else "off"
    console.print(f"Decisions       {providers}; local executor {local}")
    if fresh:
        console.print(
            f"\n[bold]Demo tenant created[/bold] (shown once; also saved to {credentials_file}, mode 600):"
        )
        for name, value in fresh.items():
            console.print(f"  {name:15} {value}")
    else:
        creds = json.loads(credentials_file.read_text()) if credentials_file.exists() else {}
        console.print(f"\nDemo tenant {creds.get('company_id', '?')}: credentials in {credentials_file}")
    console.print(f"\nSend alerts:  .venv/bin/alert-whisperer demo --url http://127.0.0.1:{api_port}")
    console.print("Press Ctrl-C to stop.")
    logging.getLogger(__name__).debug("dev stack up")
