"""Production processes started as such for tests that kill them: `alert-whisperer worker`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.settings import Settings
from tests.conftest import TEST_SECRET_KEY

REPO = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "alert-whisperer"


def worker_process(
    settings: Settings, temporal_address: str, log: Path, **extra_env: str
) -> subprocess.Popen[bytes]:
    """`alert-whisperer worker`, as deployed, on this test's database and task queue, in a process group
    of its own (so that a test can kill it with what it started)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AW_")}
    env.update(
        PYTHONPATH=str(REPO),
        AW_ENVIRONMENT="test",
        AW_SECRET_KEY=TEST_SECRET_KEY,
        AW_DATABASE_URL=settings.database_url,
        AW_TEMPORAL_ADDRESS=temporal_address,
        AW_TASK_QUEUE=settings.task_queue,
        AW_REDELIVERY_AFTER_S=str(settings.redelivery_after_s),
        AW_REDELIVERY_INTERVAL_S=str(settings.redelivery_interval_s),
        **extra_env,
    )
    with open(log, "wb") as out:
        return subprocess.Popen([str(CLI), "worker"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
