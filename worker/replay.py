"""Replays recorded workflow histories against the current workflow code."""

from __future__ import annotations

import json
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker.worker import WORKFLOWS


def load_history(path: Path) -> WorkflowHistory:
    data = json.loads(path.read_text())
    workflow_id = data.get("workflowId") if isinstance(data, dict) else None
    return WorkflowHistory.from_json(workflow_id or path.stem, data)


async def replay_files(paths: list[Path]) -> list[tuple[Path, str]]:
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    failures = []
    for path in paths:
        result = await replayer.replay_workflow(load_history(path), raise_on_replay_failure=False)
        if result.replay_failure is not None:
            failures.append((path, str(result.replay_failure)))
    return failures
