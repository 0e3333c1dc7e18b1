"""moto's server for tests that talk to AWS, and the environment that points boto3 at stand-ins."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from moto.server import ThreadedMotoServer

ACCOUNT = "123456789012"  # moto's; roles assumed there keep seeing what was created before


def fake_credentials(env: pytest.MonkeyPatch) -> None:
    """boto3's usual credential chain, pointed at made-up keys (and nothing of the developer's)."""
    env.setenv("AWS_ACCESS_KEY_ID", "testing")
    env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    env.delenv("AWS_SESSION_TOKEN", raising=False)
    env.delenv("AWS_PROFILE", raising=False)
    env.setenv("AWS_CONFIG_FILE", "/nonexistent")
    env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's server on a free port; yields its URL."""
    with pytest.MonkeyPatch.context() as env:
        fake_credentials(env)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()
