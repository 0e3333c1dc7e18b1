"""Progress for logs: rich's live bars draw nothing when stderr is not a terminal (CI), so print lines."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

EVERY_S = 5.0


@dataclass
class _Task:
    description: str
    total: int
    completed: int = 0
    last_shown: float = 0.0
    finished: bool = False


class LineProgress:
    """The part of rich's Progress the benchmark uses, as one line per task every few seconds."""

    def __init__(self) -> None:
        self._tasks: dict[TaskID, _Task] = {}
        self._next_id = 0
        self._started = time.perf_counter()

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._tasks.clear()

    def add_task(self, description: str, total: int) -> TaskID:
        self._next_id += 1
        task_id = TaskID(self._next_id)
        self._tasks[task_id] = _Task(description, total, last_shown=time.perf_counter())
        return task_id

    def advance(self, task_id: TaskID) -> None:
        self.update(task_id, completed=self._tasks[task_id].completed + 1)

    def update(self, task_id: TaskID, completed: int) -> None:
        task = self._tasks[task_id]
        task.completed = completed
        now = time.perf_counter()
        finishing = completed >= task.total and not task.finished
        if finishing or (not task.finished and now - task.last_shown >= EVERY_S):
            task.last_shown, task.finished = now, finishing
            print(
                f"[{now - self._started:6.1f} s] {task.description}: {completed}/{task.total}",
                file=sys.stderr,
                flush=True,
            )

    def remove_task(self, task_id: TaskID) -> None:
        self._tasks.pop(task_id, None)


def progress_for(console: Console) -> Progress | LineProgress:
    if not console.is_terminal:
        return LineProgress()
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
