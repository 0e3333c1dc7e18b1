"""The real Prometheus Alertmanager (Debian's `prometheus-alertmanager`), run for end-to-end tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.ports import free_port

BINARY = "prometheus-alertmanager"
PACKAGE = "prometheus-alertmanager"
INSTALL_TIMEOUT_S = 300
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")


def installed_binary() -> str | None:
    found = shutil.which(BINARY)
    if found:
        return found
    fallback = Path("/usr/bin") / BINARY
    return str(fallback) if fallback.exists() else None


@contextmanager
def services_kept_from_starting() -> Iterator[None]:
    """The package's postinst would start its system service; policy-rc.d exit 101 forbids that."""
    if POLICY_RC_D.exists():
        yield
        return
    POLICY_RC_D.write_text(
        "#!/bin/sh\n# written by the Alert Whisperer tests while installing a package\nexit 101\n"
    )
    POLICY_RC_D.chmod(0o755)
    try:
        yield
    finally:
        POLICY_RC_D.unlink(missing_ok=True)


def _apt_get(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", "-o", "DPkg::Lock::Timeout=120", *args],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
        check=False,
    )


def find_or_install() -> tuple[str | None, str]:
    """The binary's path, or None and why it cannot be had."""
    found = installed_binary()
    if found:
        return found, ""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None, f"{BINARY} is not installed, and installing it needs root and apt-get"
    install = ("install", "-y", "--no-install-recommends", PACKAGE)
    try:
        with services_kept_from_starting():
            result = _apt_get(*install)
            if result.returncode != 0:  # stale package lists are the usual cause
                _apt_get("update")
                result = _apt_get(*install)
    except subprocess.TimeoutExpired:
        return None, f"apt-get install {PACKAGE} took longer than {INSTALL_TIMEOUT_S} s"
    found = installed_binary()
    if found:
        return found, ""
    return None, f"apt-get install {PACKAGE} failed: {(result.stderr or result.stdout)[-500:]}"


def webhook_config(url: str, api_key: str) -> dict[str, Any]:
    """alertmanager.yml as docs/integrations/alertmanager.md suggests it, with second-long timers.

    JSON is YAML, so it is written with json.dumps."""
    return {
        "route": {
            "receiver": "alert-whisperer",
            "group_by": ["alertname", "instance"],
            "group_wait": "1s",
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [
            {
                "name": "alert-whisperer",
                "webhook_configs": [
                    {
                        "url": url,
                        "send_resolved": True,
                        "http_config": {"authorization": {"type": "Bearer", "credentials": api_key}},
                    }
                ],
            }
        ],
    }


@dataclass
class Alertmanager:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(binary: str, workdir: Path, config: dict[str, Any], *, ready_within_s: float = 30) -> Alertmanager:
    config_path = workdir / "alertmanager.yml"
    config_path.write_text(json.dumps(config, indent=2))
    log_path = workdir / "alertmanager.log"
    address = f"127.0.0.1:{free_port()}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config_path}",
                f"--storage.path={workdir / 'data'}",
                f"--web.listen-address={address}",
                "--cluster.listen-address=",  # a single instance: no gossip port
                "--log.level=debug",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    running = Alertmanager(process, f"http://{address}", log_path)
    deadline = time.monotonic() + ready_within_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"alertmanager exited with {process.returncode}:\n{running.log_tail()}")
        try:
            if httpx.get(f"{running.url}/-/ready", timeout=1).status_code == 200:
                return running
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    running.stop()
    raise RuntimeError(f"alertmanager not ready within {ready_within_s} s:\n{running.log_tail()}")
