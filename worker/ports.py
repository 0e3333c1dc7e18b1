"""Who holds a local TCP port, so `dev` can refuse a port it does not own and say what to do about it."""

from __future__ import annotations

import random
import socket
from dataclasses import dataclass
from pathlib import Path

_TCP_LISTEN = "0A"


@dataclass(frozen=True)
class PortHolder:
    pid: int
    command: str


class PortTakenError(RuntimeError):
    """A port that `dev` is about to use already answers, and not from a process `dev` started."""

    def __init__(self, port: int, purpose: str, option: str, holder: PortHolder | None) -> None:
        self.port, self.holder = port, holder
        if holder is None:
            who = f"another process (not one this command started; `ss -ltnp 'sport = :{port}'` shows which)"
            stop = "Stop that process"
        else:
            who = f"PID {holder.pid} ({holder.command}), which this command did not start"
            stop = f"Stop it (`kill {holder.pid}`)"
        hint = ""
        if "temporal server start-dev" in (holder.command if holder else ""):
            hint = " It looks like a Temporal dev server left behind by an earlier `dev` that was killed."
        super().__init__(
            f"Port {port} ({purpose}) is already in use by {who}.{hint} "
            f"{stop}, or choose another port with {option}."
        )


def free_port(low: int = 20000, high: int = 32000) -> int:
    """A local TCP port nobody listens on, for a process about to bind it.

    Chosen below the kernel's ephemeral range (32768-60999 by default), so the outgoing connections made
    between this probe and the process's bind cannot take it, and at random, so two test runs side by side
    rarely probe the same one."""
    for _ in range(200):
        port = random.randint(low, high - 1)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free TCP port in {low}-{high}: stop some local servers and try again")


def is_listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def holder_of(port: int) -> PortHolder | None:
    """The process listening on `port`, from /proc (Linux); None when it cannot tell, e.g. another user's."""
    inodes = _listening_socket_inodes(port)
    if not inodes:
        return None
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if fd.readlink().as_posix() in wanted:
                    return PortHolder(int(proc.name), _command_of(proc))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return None


def _listening_socket_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == _TCP_LISTEN:
                inodes.add(fields[9])
    return inodes


def _command_of(proc: Path) -> str:
    try:
        argv = (proc / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    command = " ".join(" ".join(part.decode(errors="replace").split()) for part in argv if part)
    return command if len(command) <= 120 else command[:117] + "..."


def refuse_taken_ports(ports: dict[int, tuple[str, str]]) -> None:
    """Raises PortTakenError for the first of `ports` ({port: (purpose, option)}) that already answers."""
    for port, (purpose, option) in ports.items():
        if is_listening(port):
            raise PortTakenError(port, purpose, option, holder_of(port))
