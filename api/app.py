"""The FastAPI application: routers, error shapes, and the services it runs on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.integrations import alertmanager, cloudwatch, datadog, generic, zabbix
from api.redirects import RelativeRedirects
from api.routes import (
    agent,
    alerts,
    audit,
    auth,
    companies,
    company_aws_access,
    company_credentials,
    company_slack,
    escalation_chains,
    incident_actions,
    incidents,
    kpis,
    maintenance_windows,
    me,
    notification_preferences,
    notifications,
    remediation,
    remediation_figures,
    runbooks,
    schedules,
    users,
    ws,
)
from api.spa import SinglePageApp
from api.webhooks.openapi import RAW_BODY_MODELS
from core.companies.secrets import SecretStoreUnavailable
from core.errors import (
    AccountError,
    AssigneeRefused,
    AwsAccessInvalid,
    ChainExists,
    CompanyInUse,
    EmailTaken,
    Forbidden,
    NotificationSettingInvalid,
    OncallInvalid,
)
from core.runtime import Services, build_services
from core.security import PasswordChecksBusy
from core.settings import Settings
from core.temporal import connect

# Our domain errors and their HTTP status; for an error of several classes the most specific one wins.
ERROR_STATUS: dict[type[Exception], int] = {
    AccountError: 422,
    AwsAccessInvalid: 422,
    NotificationSettingInvalid: 422,
    OncallInvalid: 422,
    AssigneeRefused: 422,
    ChainExists: 409,
    EmailTaken: 409,
    Forbidden: 403,
    CompanyInUse: 409,
    SecretStoreUnavailable: 503,
    PasswordChecksBusy: 503,
}


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """With `services`, the caller owns them (dev mode, tests); without, the app connects on start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services is not None:
            app.state.services = services
            yield
            return
        own = build_services(settings, await connect(settings))
        app.state.services = own
        try:
            yield
        finally:
            await own.close()

    app = FastAPI(title="Alert Whisperer", version="0.1.0", lifespan=lifespan)
    if settings.trusted_proxies:
        # X-Forwarded-For names the client only when a configured proxy sent the request; otherwise
        # the peer is the client, whatever the request claims (sign-in throttling keys on it).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.add_middleware(RelativeRedirects)
    # `me` before any users router, so /api/users/me is not taken for a user id.
    for module in (
        generic,
        alertmanager,
        datadog,
        zabbix,
        cloudwatch,
        incidents,
        alerts,
        auth,
        me,
        notification_preferences,
        notifications,
        agent,
        companies,
        company_credentials,
        company_aws_access,
        company_slack,
        users,
        audit,
        maintenance_windows,
        remediation,
        incident_actions,
        remediation_figures,
        kpis,
        runbooks,
        schedules,
        escalation_chains,
        ws,
    ):
        app.include_router(module.router)

    async def _domain_error(_: Request, err: Exception) -> JSONResponse:
        status = next(ERROR_STATUS[cls] for cls in type(err).__mro__ if cls in ERROR_STATUS)
        return JSONResponse(status_code=status, content={"detail": str(err)})

    for error in ERROR_STATUS:
        app.add_exception_handler(error, _domain_error)

    @app.exception_handler(DBAPIError)
    async def _database_error(_: Request, err: DBAPIError) -> JSONResponse:
        # PostgreSQL refuses some values that every validator would have to know about (NUL characters
        # in text, integers beyond 64 bits): say what was wrong instead of answering 500.
        cause = err.orig.__cause__ if err.orig is not None else None
        if isinstance(err, DataError) or isinstance(cause, asyncpg.exceptions.DataError):
            reason = str(cause or err.orig).splitlines()[0]
            error = {"loc": ["request"], "msg": f"a value cannot be stored: {reason}", "type": "value_error"}
            return JSONResponse(status_code=422, content={"detail": [error]})
        raise err

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, err: RequestValidationError) -> JSONResponse:
        errors = [{k: e.get(k) for k in ("loc", "msg", "type")} for e in err.errors()]
        return JSONResponse(status_code=422, content={"detail": errors})

    # What no route matched: the web UI's files and client-side routes (api/spa.py).
    app.router.default = SinglePageApp(settings.ui_dir, app.router.default)
    _register_webhook_schema(app)
    return app


def _register_webhook_schema(app: FastAPI) -> None:
    """Webhooks read their raw body (to check signatures), so declare their bodies' schemas by hand."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, model in RAW_BODY_MODELS.items():
            body = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(body.pop("$defs", {}))
            components[name] = body
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
