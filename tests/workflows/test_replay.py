"""Every recorded history in tests/histories replays against the current workflow code."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.support.drifted_incident import DriftedIncidentWorkflow
from tests.support.helpers import HISTORIES
from worker.replay import load_history, replay_files

RECORDED = sorted(HISTORIES.glob("*.json"))
CLI = str(Path(sys.executable).parent / "alert-whisperer")


def history_with_no_alerts_to_record(path: Path) -> dict[str, Any]:
    """The same history, but its input hands the workflow nothing to record: the recorded
    local activity then has no counterpart in the code, which replay must report."""
    history = json.loads(path.read_text())
    started = history["events"][0]["workflowExecutionStartedEventAttributes"]
    payload = started["input"]["payloads"][0]
    original = json.loads(base64.b64decode(payload["data"]))["start"]
    carried = {key: original[key] for key in ("incident_id", "company_id", "aggregation_key", "generation")}
    payload["data"] = base64.b64encode(json.dumps({"carried": carried}).encode()).decode()
    return history


def test_histories_were_recorded() -> None:
    assert {p.stem for p in RECORDED} >= {"incident_two_alerts", "incident_recovered"}


@pytest.mark.parametrize("path", RECORDED, ids=[p.stem for p in RECORDED])
async def test_recorded_history_replays_on_current_code(path: Path) -> None:
    assert await replay_files([path]) == []


async def test_replay_detects_a_changed_workflow() -> None:
    replayer = Replayer(workflows=[DriftedIncidentWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(load_history(RECORDED[0]), raise_on_replay_failure=False)
    assert result.replay_failure is not None


def test_replay_command_exits_zero_on_good_histories_and_one_on_drift(tmp_path: Path) -> None:
    ok = subprocess.run([CLI, "replay", *map(str, RECORDED)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(history_with_no_alerts_to_record(RECORDED[0])))
    drift = subprocess.run([CLI, "replay", str(broken)], capture_output=True, text=True, check=False)
    # The whole stderr on failure: once, on a loaded machine, this process aborted (-6) at exit.
    assert drift.returncode == 1 and "NON-DETERMINISTIC" in drift.stderr, drift.stderr
