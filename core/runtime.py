"""What the API needs at run time, built once per process and handed to routes through `deps`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.client import Client

from core.companies.directory import CompanyDirectory
from core.companies.secrets import AwsSecretsManagerStore, CompanySecrets, LocalSecretStore
from core.db.engine import create_engine, hot_path_engine, session_factory
from core.decisions.engine import DecisionEngine
from core.events.hub import EventHub
from core.ingest.dispatch import AlertDispatch, head_lookup
from core.ingest.intake import AlertIntake
from core.ingest.rate_limit import TokenBuckets
from core.ingest.replay import UsedSignatures
from core.ingest.routing import AlertRouter
from core.ingest.sns.client import AwsSns
from core.maintenance.windows import MaintenanceWindows
from core.security import PasswordHashing, SecretBox
from core.settings import Settings


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # Alert intake and incident projections; one connection of its own on SQLite (see hot_path_engine).
    hot_sessions: async_sessionmaker[AsyncSession]
    temporal: Client
    box: SecretBox
    secrets: CompanySecrets
    directory: CompanyDirectory
    intake: AlertIntake
    # Signatures that do not cover the delivery id, each good for one delivery id.
    used_signatures: UsedSignatures
    router: AlertRouter
    dispatch: AlertDispatch
    rate_limits: TokenBuckets
    # Signing certificates and subscription confirmations of the CloudWatch (SNS) endpoint.
    sns: AwsSns
    maintenance: MaintenanceWindows
    passwords: PasswordHashing
    # Decisions for incidents, with this process's LLM clients (the worker's activity and the API's dry run).
    decisions: DecisionEngine
    # Incident events for this process's WebSockets.
    events: EventHub
    started_at: float = field(default_factory=time.monotonic)

    async def close(self) -> None:
        await self.events.close()
        await self.router.close()
        self.passwords.close()
        await self.decisions.aclose()
        await self.sns.aclose()
        await self.engine.dispose()
        hot_engine = self.hot_sessions.kw.get("bind")
        if hot_engine is not None and hot_engine is not self.engine:
            await hot_engine.dispose()


def build_company_secrets(settings: Settings, box: SecretBox | None = None) -> CompanySecrets:
    """Both HMAC secret stores, whichever is the default for new companies, so companies created before
    a switch keep working. The AWS client is made on first use only."""
    aws = AwsSecretsManagerStore(
        region=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
        name_prefix=settings.aws_secret_prefix,
    )
    return CompanySecrets(
        LocalSecretStore(box or SecretBox(settings.secret_key)), aws, settings.hmac_secret_backend
    )


def build_services(
    settings: Settings,
    temporal: Client,
    *,
    engine: AsyncEngine | None = None,
    eager_start: bool = False,
    aws_http: httpx.AsyncClient | None = None,
) -> Services:
    """`aws_http` reaches AWS (SNS certificates, confirmations); tests hand in one serving their own."""
    engine = engine or create_engine(settings.database_url)
    sessions = session_factory(engine)
    hot_sessions = session_factory(hot_path_engine(settings.database_url, engine))
    box = SecretBox(settings.secret_key)
    secrets = build_company_secrets(settings, box)
    intake = AlertIntake(hot_sessions)
    router = AlertRouter(temporal, settings.task_queue, head_lookup(sessions), eager_start=eager_start)
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        hot_sessions=hot_sessions,
        temporal=temporal,
        box=box,
        secrets=secrets,
        directory=CompanyDirectory(sessions, secrets),
        intake=intake,
        used_signatures=UsedSignatures(hot_sessions),
        router=router,
        dispatch=AlertDispatch(router, intake),
        rate_limits=TokenBuckets(settings.rate_limit_per_s, settings.rate_limit_burst),
        sns=AwsSns(
            aws_http or httpx.AsyncClient(timeout=settings.sns_http_timeout_s),
            timeout_s=settings.sns_http_timeout_s,
            max_message_age_s=settings.sns_max_message_age_s,
            max_clock_ahead_s=settings.webhook_timestamp_tolerance_s,
        ),
        maintenance=MaintenanceWindows(sessions),
        passwords=PasswordHashing(settings.password_hash_threads, settings.password_checks_waiting),
        decisions=DecisionEngine(sessions, settings),
        events=EventHub(sessions, settings.database_url, poll_interval_s=settings.event_poll_interval_s),
    )
