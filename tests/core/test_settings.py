"""Settings refuse weak secrets in production and keep development and test defaults working."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from core.settings import DEVELOPMENT_SECRET_KEY, Settings


@pytest.mark.parametrize(
    "secret_key",
    ["x", "short-but-not-empty", "x" * 64, "password" * 8, DEVELOPMENT_SECRET_KEY],
)
def test_production_refuses_a_secret_key_weaker_than_32_random_bytes(secret_key: str) -> None:
    with pytest.raises(ValidationError, match="AW_SECRET_KEY"):
        Settings(environment="production", secret_key=secret_key)


@pytest.mark.parametrize("secret_key", [secrets.token_urlsafe(32), secrets.token_hex(32)])
def test_production_accepts_32_random_bytes(secret_key: str) -> None:
    assert Settings(environment="production", secret_key=secret_key).secret_key == secret_key


def test_development_and_test_keep_their_defaults() -> None:
    assert Settings(environment="development").secret_key == DEVELOPMENT_SECRET_KEY
    assert Settings(environment="test", secret_key="test-secret-key-" + "x" * 40).environment == "test"
    with pytest.raises(ValidationError, match="development default"):
        Settings(environment="test")


def test_trusted_proxies_are_ip_networks_from_a_comma_list_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().trusted_proxies == []
    monkeypatch.setenv("AW_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")
    assert Settings().trusted_proxies == ["10.0.0.0/8", "192.0.2.7/32"]
    monkeypatch.setenv("AW_TRUSTED_PROXIES", '["2001:db8::/32"]')
    assert Settings().trusted_proxies == ["2001:db8::/32"]
    monkeypatch.setenv("AW_TRUSTED_PROXIES", "proxy.example.com")
    with pytest.raises(ValidationError, match="not an IP address or CIDR"):
        Settings()
