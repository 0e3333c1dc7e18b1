"""CPU time per process over a phase, from /proc: shows which process was the bottleneck."""

from __future__ import annotations

import os
import time
from pathlib import Path

TICKS_PER_S = os.sysconf("SC_CLK_TCK")
REST = "rest of machine"


def cpu_seconds(pid: int) -> float | None:
    """User + system time of all the process's threads so far; None once it is gone (or off Linux)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command name, which may itself hold spaces; utime and stime are the 14th and 15th.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S


def machine_busy_seconds() -> float | None:
    """CPU time all processes on the machine spent busy so far (summed over cores)."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    ticks = [int(v) for v in first[1:9]]  # user nice system idle iowait irq softirq steal
    return (sum(ticks) - ticks[3] - ticks[4]) / TICKS_PER_S


class CpuMeter:
    """Cores each named process used between `start()` and `stop()` (1.0 = one core flat out).

    "rest of machine" is whatever else kept the cores busy meanwhile: on a shared 2-core box, a test run
    next door moves the figures, and the report should say so.
    """

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._before: dict[str, float | None] = {}
        self._since = 0.0

    def start(self) -> None:
        self._since = time.perf_counter()
        self._before = {name: cpu_seconds(pid) for name, pid in self._pids.items()}
        self._before[REST] = machine_busy_seconds()

    def stop(self) -> dict[str, float]:
        wall = time.perf_counter() - self._since
        used: dict[str, float] = {}
        for name, pid in self._pids.items():
            spent = _spent(self._before.get(name), cpu_seconds(pid))
            if spent is not None and wall > 0:
                used[name] = round(spent / wall, 2)
        machine = _spent(self._before.get(REST), machine_busy_seconds())
        if machine is not None and wall > 0:
            used[REST] = round(max(0.0, machine / wall - sum(used.values())), 2)
        return used


def _spent(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before
