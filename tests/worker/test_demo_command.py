"""`alert-whisperer demo` against `alert-whisperer dev`: the whole lifecycle on one machine, without AWS."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.dev_process import CLI, DevProcess, dev_env
from worker.demo import SCENARIOS


def test_demo_reports_incidents_healed_awaiting_approval_rolled_back_and_escalated(
    dev: DevProcess, tmp_path: Path
) -> None:
    dev.start()
    results = tmp_path / "demo.json"
    command = [
        str(CLI),
        "demo",
        "--url",
        dev.url,
        "--credentials",
        str(dev.data_dir / "demo-credentials.json"),
        "--count",
        str(len(SCENARIOS) + 4),
        "--rate",
        "50",
        "--wait",
        "40",
        "--json",
        str(results),
    ]
    wide = {**dev_env(), "COLUMNS": "200"}  # no table cell wrapped
    try:
        done = subprocess.run(
            command, cwd=tmp_path, env=wide, capture_output=True, text=True, timeout=90, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"demo did not finish within 90 s:\n{dev.log()}")
    said = done.stdout + done.stderr
    assert done.returncode == 0, said

    lifecycle = json.loads(results.read_text())["lifecycle"]
    assert lifecycle["settled"], said
    assert lifecycle["healed"] >= 1, said
    assert lifecycle["awaiting_approval"] >= 1, said
    assert lifecycle["rolled_back"] >= 1, said
    assert lifecycle["escalated"] >= 1, said
    assert lifecycle["incidents"] == sum(
        lifecycle[o] for o in ("healed", "awaiting_approval", "rolled_back", "escalated", "other")
    )
    assert lifecycle["self_healing_share"] == pytest.approx(lifecycle["healed"] / lifecycle["incidents"])
    assert lifecycle["by_signature"]["http_5xx_rate"]["runbook"].startswith("[demo] ")
    runs = {r["name"]: r for r in lifecycle["runbook_runs"]}
    assert runs["Demo: rebuild query plans (rolls back)"]["failed"] >= 1
    assert runs["Demo: recycle web workers"]["succeeded"] >= 1 and runs["Demo: recycle web workers"]["demo"]
    assert "Self-healing share" in done.stdout and "[demo] Demo: recycle web workers" in done.stdout
