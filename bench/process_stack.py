"""The stack as production runs it, for the bench scripts that measure across processes: a Temporal dev
server (file-backed with the WAL pragmas, as `alert-whisperer dev` does), a throwaway PostgreSQL
database (or a SQLite file), and `alert-whisperer api` and `worker` as processes of their own."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg

from worker import temporal_server
from worker.ports import free_port

CLI = Path(sys.executable).parent / "alert-whisperer"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def add_stack_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--postgres-admin", default=POSTGRES_ADMIN, help="creates and drops its database")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")


def sqlalchemy_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


@contextlib.asynccontextmanager
async def throwaway_postgres(admin_dsn: str, prefix: str, keep: bool = False) -> AsyncIterator[str]:
    """The libpq DSN of a new, empty database, dropped after unless `keep` (its name is printed)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_dsn.rsplit('/', 1)[0]}/{name}"
    finally:
        if keep:
            print(f"kept database {name}", file=sys.stderr, flush=True)
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@contextlib.asynccontextmanager
async def database(args: argparse.Namespace, workdir: Path) -> AsyncIterator[str]:
    """The SQLAlchemy URL of an empty database: a SQLite file in `workdir` with --sqlite."""
    if args.sqlite:
        yield f"sqlite+aiosqlite:///{workdir / 'alert_whisperer.db'}"
        return
    async with throwaway_postgres(args.postgres_admin, "aw_bench") as dsn:
        yield sqlalchemy_url(dsn)


@contextlib.asynccontextmanager
async def temporal_dev_server(data_dir: Path) -> AsyncIterator[tuple[int, int | None]]:
    """(port, pid) of a file-backed dev server with the WAL pragmas, as `alert-whisperer dev` starts it."""
    port = free_port()
    server = await temporal_server.start_dev_server(
        port=port,
        ui_port=0,
        db_file=data_dir / "temporal.db",
        log_file=data_dir / "temporal.log",
        headless=True,
    )
    try:
        yield port, server.pid
    finally:
        await temporal_server.stop(server)


@dataclass
class Backing:
    """What the API and worker processes run against."""

    workdir: Path  # logs and data files
    database_url: str
    temporal_address: str
    temporal_pid: int | None


@contextlib.asynccontextmanager
async def backing_services(args: argparse.Namespace, prefix: str) -> AsyncIterator[Backing]:
    """A Temporal dev server and a database in a temporary directory, removed after unless --keep."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        async with temporal_dev_server(workdir) as (port, pid), database(args, workdir) as database_url:
            yield Backing(workdir, database_url, f"127.0.0.1:{port}", pid)
    finally:
        if args.keep:
            print(f"logs in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def process_env(backing: Backing, passed: tuple[str, ...] = ("AW_WORKER_",)) -> dict[str, str]:
    """This environment without its AW_* settings, but those starting with `passed`, pointed at
    `backing` on a task queue of its own; the per-tenant rate limit is lifted, or we would measure it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AW_") or k.startswith(passed)}
    return env | {
        "AW_DATABASE_URL": backing.database_url,
        "AW_TEMPORAL_ADDRESS": backing.temporal_address,
        "AW_TASK_QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
        "AW_RATE_LIMIT_PER_S": "100000",
        "AW_RATE_LIMIT_BURST": "100000",
    }


def run_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(CLI), *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"alert-whisperer {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


@dataclass
class Tenant:
    id: str
    api_key: str
    hmac_secret: str


async def create_company(env: dict[str, str], name: str) -> Tenant:
    return Tenant(**json.loads(await asyncio.to_thread(run_cli, env, "company", "create", name, "--json")))


@contextlib.contextmanager
def service(env: dict[str, str], log: Path, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "wb") as out:
        process = subprocess.Popen([str(CLI), *args], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Processes:
    url: str  # the API's
    api_pid: int
    worker_pid: int
    worker_log: Path


@contextlib.asynccontextmanager
async def api_and_worker(env: dict[str, str], workdir: Path) -> AsyncIterator[Processes]:
    """`alert-whisperer worker` and `alert-whisperer api` on a free port, once the API answers; their
    logs in `workdir`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    api_log, worker_log = workdir / "api.log", workdir / "worker.log"
    with (
        service(env, worker_log, "worker") as worker,
        service(env, api_log, "api", "--host", "127.0.0.1", "--port", str(port)) as api,
    ):
        await wait_for_api(url, api, api_log)
        yield Processes(url, api.pid, worker.pid, worker_log)


async def wait_for_api(url: str, api: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as http:
        while True:
            if api.poll() is not None:
                raise RuntimeError(f"the API exited:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{url}/api/agent/ping") as answer:
                    if answer.status == 200:
                        return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API did not answer within 60 s:\n{log.read_text()[-3000:]}")
            await asyncio.sleep(0.2)
