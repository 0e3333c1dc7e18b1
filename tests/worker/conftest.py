"""The `dev` fixture: an `alert-whisperer dev` process, killed with everything it started at the end."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dev_process import CLI, DevProcess


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[DevProcess]:
    assert CLI.exists(), f"console script not installed next to {sys.executable}"
    running = DevProcess(tmp_path)
    try:
        yield running
    finally:
        running.kill_leftovers()
