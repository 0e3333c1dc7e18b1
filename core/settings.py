"""All configuration, read once from the environment (prefix AW_) or a .env file."""

from __future__ import annotations

import ipaddress
import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEVELOPMENT_SECRET_KEY = "dev-only-secret-key-change-me-in-production-0123456789"  # noqa: S105 (refused outside development)


# Environments whose secrets may be weak: a developer's machine and the test suite.
LENIENT_ENVIRONMENTS = frozenset({"development", "test"})
# `secrets.token_urlsafe(32)` is 43 characters: 32 random bytes is the least a production key carries.
MIN_SECRET_KEY_CHARS = 43
# Random keys of that length use many different characters; "x" * 64 or a phrase does not.
MIN_SECRET_KEY_DISTINCT_CHARS = 12


def secret_key_refusal(secret_key: str) -> str | None:
    """Why `secret_key` cannot sign tokens in production, or None when it looks like 32+ random bytes."""
    if secret_key == DEVELOPMENT_SECRET_KEY:
        return "AW_SECRET_KEY is still the development default"
    if len(secret_key) < MIN_SECRET_KEY_CHARS:
        return f"AW_SECRET_KEY has {len(secret_key)} characters; it needs at least 32 random bytes"
    if len(set(secret_key)) < MIN_SECRET_KEY_DISTINCT_CHARS:
        return "AW_SECRET_KEY repeats a few characters; it needs at least 32 random bytes"
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AW_", env_file=".env", extra="ignore")

    environment: str = Field(
        "development",
        description="development | test | production (anything else is held to production rules)",
    )
    database_url: str = "sqlite+aiosqlite:///data/alert_whisperer.db"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "alert-whisperer"
    temporal_ui_url: str = "http://127.0.0.1:8233"
    # The built web UI (`make ui` writes ui/dist); the API serves it at /.
    ui_dir: Path = Field(default_factory=lambda: Path(__file__).resolve().parents[1] / "ui" / "dist")
    secret_key: str = DEVELOPMENT_SECRET_KEY

    access_token_minutes: int = 30
    refresh_token_days: int = 7

    # Where new companies' webhook HMAC secrets are kept: "local" (encrypted with a key derived from
    # secret_key, in the database) or "aws" (AWS Secrets Manager, credentials from boto3's usual chain).
    hmac_secret_backend: Literal["local", "aws"] = "local"  # noqa: S105 (a store's name, not a secret)
    aws_region: str = "us-east-1"
    aws_endpoint_url: str | None = Field(None, description="only for Secrets Manager stand-ins, e.g. moto")
    aws_secret_prefix: str = "alert-whisperer/"  # noqa: S105 (names our secrets in Secrets Manager)
    # Failed sign-ins block an account or IP for base * 2^(failures beyond the free ones) seconds.
    login_backoff_base_s: float = 1.0
    # Failures before that back-off starts: per (account, source address) pair, then with higher limits
    # per account from anywhere and per source address for any account (an office shares its NAT address).
    login_pair_free_failures: int = Field(5, ge=1, le=1000)
    login_account_free_failures: int = Field(30, ge=1, le=100_000)
    login_source_free_failures: int = Field(100, ge=1, le=1_000_000)
    # Argon2id costs a quarter of a second of CPU per sign-in: this many run at once, on threads of their
    # own, and at most `password_checks_waiting` more wait for one (beyond that, 503), so a burst of
    # sign-ins never holds up the event loop that answers webhooks.
    password_hash_threads: int = Field(1, ge=1, le=64)
    password_checks_waiting: int = Field(64, ge=0, le=10_000)
    # Reverse proxies (IPs or CIDRs) whose X-Forwarded-For names the client. Empty: the peer address is
    # the client, whatever a request says. Comma-separated or a JSON list in AW_TRUSTED_PROXIES.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # The API's HTTP server (api/server.py). Production runs behind a reverse proxy (docs/deployment.md);
    # these bound what a slow or idle client can hold open on the API itself.
    # From connecting (or a kept-alive request's first byte) to the end of the request's headers.
    api_header_timeout_s: float = 10.0
    api_keep_alive_timeout_s: int = 5  # idle between requests; keep above the proxy's upstream idle timeout
    api_limit_concurrency: int | None = None  # connections plus requests in flight; beyond it, 503

    # Webhook ingestion
    webhook_max_body_bytes: int = 256 * 1024
    # How old a signed webhook's X-Timestamp may be, and how far ahead of our clock (a sender's clock
    # running fast). A signature that does not cover the delivery id is single-use within this window.
    webhook_timestamp_tolerance_s: int = 300
    webhook_future_skew_s: int = 60
    webhook_answer_timeout_s: float = 2.0
    delivery_id_retention_hours: int = 24
    # Incident events (the WebSocket stream's outbox) older than this are purged by a Temporal schedule
    # every `event_purge_interval_minutes`, `event_purge_batch_size` rows per transaction; a client
    # resuming from further back gets what is left.
    event_retention_days: float = Field(7.0, gt=0)
    event_purge_interval_minutes: float = Field(60.0, gt=0)
    event_purge_batch_size: int = Field(2000, ge=1)
    # WebSocket /ws: events queued per connection before a client that reads too slowly is told to resume
    # and closed; how long a new connection has to authenticate; SQLite's outbox tail interval.
    ws_queue_size: int = Field(1000, ge=1)
    ws_auth_timeout_s: float = Field(10.0, gt=0)
    event_poll_interval_s: float = Field(0.1, gt=0)
    # WebSocket heartbeats (uvicorn's protocol pings): a connection whose pong is this late is closed.
    ws_ping_interval_s: float = Field(20.0, gt=0)
    ws_ping_timeout_s: float = Field(20.0, gt=0)
    # permessage-deflate on /ws (browsers offer it): each connection keeps its own zlib state, measured at
    # ~44 KiB and ~23 µs of API CPU per delivered event (bench/ws.py), for events of a few hundred bytes.
    ws_per_message_deflate: bool = False
    rate_limit_per_s: float = 200.0
    rate_limit_burst: int = 1000
    # Amazon SNS (CloudWatch alarms): a signed message older than this is refused even with a valid
    # signature, so a captured message cannot be replayed later. SNS keeps the first attempt's Timestamp
    # on its retries, and its longest HTTP retry policy spans an hour.
    sns_max_message_age_s: int = 3600
    # Fetching a signing certificate or confirming a subscription at AWS.
    sns_http_timeout_s: float = 5.0

    # The worker runs workflows outside Temporal's import sandbox: re-importing the workflow module for
    # every incident cost about 12 % of the worker's CPU. Determinism is still checked: CI replays
    # recorded histories in the sandbox (tests/workflows/test_replay.py). Set true to sandbox here too.
    workflow_sandbox: bool = False

    # The worker's task pollers and slots (worker/worker.py). A new incident's first workflow task waits
    # in the task queue for a poller when the API runs apart from the worker (no eager start): with the
    # SDK's default of 5 pollers, one of them on the shared queue, it waited seconds (bench/first_task.py).
    # `autoscaling` lets the server's feedback move the pollers between 2 and the maximum.
    worker_workflow_task_pollers: int = 20  # at most; the SDK's minimum is 2
    worker_activity_task_pollers: int = 5
    worker_poller_behavior: Literal["fixed", "autoscaling"] = "fixed"
    # Share of workflow pollers on the shared queue, where new incidents' first tasks wait; the rest poll
    # this worker's sticky queue, where a cached incident's next tasks go.
    worker_nonsticky_poll_ratio: float = Field(0.5, gt=0, le=1)
    worker_max_concurrent_workflow_tasks: int = 200
    worker_max_concurrent_local_activities: int = 200
    worker_max_concurrent_activities: int = 100

    # Decisions (core/decisions/). Providers in the order tried; `rules` always decides last, so a broken,
    # slow or over-budget LLM never stalls an incident. The SDKs read their own settings too:
    # ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL, and boto3's AWS_ENDPOINT_URL_BEDROCK_RUNTIME and credentials.
    agent_provider: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["rules"])
    anthropic_model: str = "claude-sonnet-5-5"
    bedrock_model_id: str = "anthropic.claude-3-5-sonnet-20240620-v1:0"
    bedrock_region: str | None = None  # default: aws_region
    gemini_model: str = "gemini-2.5-flash"
    max_decision_seconds: float = Field(15.0, gt=0, le=120)  # per provider, before falling through
    max_tokens_per_decision: int = Field(4000, ge=100)

    # Runbook executors (core/remediation/). The local executor runs commands on the worker's own host:
    # off unless asked for, and in production only when explicitly allowed as well.
    local_executor: bool = False
    allow_local_executor_in_production: bool = False
    executor_output_tail_bytes: int = Field(4096, ge=256, le=1_000_000)
    ssm_poll_interval_s: float = Field(2.0, gt=0, le=60)

    # Notifications (core/notifications/, docs/notifications.md). Email is off (recorded as skipped) until
    # smtp_host is set. STARTTLS upgrades the connection on the submission port; set false only for a
    # relay on the same host or a test server.
    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    smtp_from: str = "Alert Whisperer <alert-whisperer@localhost>"
    smtp_timeout_s: float = Field(10.0, gt=0, le=120)
    slack_timeout_s: float = Field(10.0, gt=0, le=120)
    # Where people reach the web UI: links in emails and Slack posts are made absolute with it.
    public_url: str = "http://127.0.0.1:8000"
    # The notification outbox's dispatcher (core/notifications/outbox.py): notices its own worker wrote go
    # out at once; another worker's are found by a poll this often. Each pass of its loop lasts this long.
    notification_outbox_poll_s: float = Field(1.0, gt=0, le=60)
    notification_outbox_pass_s: float = Field(300.0, ge=10)

    # Alerts accepted but not yet in an incident are handed to the workflows again after this long.
    redelivery_after_s: int = 20
    redelivery_interval_s: int = 15
    # Alerts per pass (shared fairly among companies), per page (between progress heartbeats), and the
    # failed attempts after which an alert is set aside as `undeliverable` for an operator to retry.
    redelivery_limit: int = Field(2000, ge=1)
    redelivery_page_size: int = Field(200, ge=1)
    redelivery_max_attempts: int = Field(5, ge=1)

    @field_validator("agent_provider", mode="before")
    @classmethod
    def _split_providers(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip().lower() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("["):
                return json.loads(value)
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        networks = []
        for item in value:
            try:
                networks.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or CIDR network") from None
        return networks

    @model_validator(mode="after")
    def _refuse_weak_secrets_outside_development(self) -> Settings:
        if self.environment in LENIENT_ENVIRONMENTS:
            if self.environment != "development" and self.secret_key == DEVELOPMENT_SECRET_KEY:
                raise ValueError(f"AW_SECRET_KEY is still the development default; {_NEW_KEY}")
            return self
        reason = secret_key_refusal(self.secret_key)
        if reason:
            raise ValueError(f"{reason}; {_NEW_KEY}")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


_NEW_KEY = "set one with `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"


@lru_cache
def get_settings() -> Settings:
    return Settings()
