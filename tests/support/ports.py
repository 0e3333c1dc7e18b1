"""A free local TCP port for a fake server or a process under test to listen on."""

from __future__ import annotations

from worker.ports import free_port

__all__ = ["free_port"]
