"""Every route declares its permission, and answers every kind of caller as `ROLE_PERMISSIONS` says.

No token: 401. A role without the permission: 403. A user of another company asking for something of
company A: 404, never 403, so existence does not leak. Otherwise the call goes through (2xx, or 4xx
for the empty body we send, but never 401, 403 or 404).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before 0.16x flattened included routers into app.routes

    def iter_route_contexts(routes: Any) -> Any:
        return iter(routes)


from api.app import create_app
from api.permissions import PUBLIC, ROLE_PERMISSIONS, CanReadCompanies, Permission
from core.accounts.roles import Role
from core.accounts.users import create_user
from core.companies.service import issue_api_key
from core.db.models import EscalationChain, MaintenanceWindow, Notification, OncallSchedule, Runbook
from core.settings import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.support.signin import cheap_password_hashes, device, login
from tests.support.stack import Stack, TenantCreds, alert_body, eventually

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
WITH_BODY = {"POST", "PUT", "PATCH"}


# --- which permission each route declares -----------------------------------------------------------------


def declared_permissions(route: APIRoute) -> set[str]:
    """What `requires(...)` put anywhere in the route's dependency tree, or "public" for `@public`."""
    found: set[str] = set()
    if getattr(route.endpoint, "required_permission", None) == PUBLIC:
        found.add(PUBLIC)
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        permission = getattr(dependant.call, "required_permission", None)
        if permission is not None:
            found.add(str(permission))
        pending.extend(dependant.dependencies)
    return found


def schema_routes(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    """(method, path, route) for every operation of the OpenAPI schema."""
    routes = {
        (route.path_format, method): route
        for route in iter_route_contexts(app.routes)
        if isinstance(getattr(route, "original_route", route), APIRoute)
        for method in route.methods
    }
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            if method in HTTP_METHODS:
                yield method.upper(), path, routes[(path, method.upper())]


def undeclared(app: FastAPI) -> list[str]:
    known = {p.value for p in Permission} | {PUBLIC}
    problems = []
    for method, path, route in schema_routes(app):
        permissions = declared_permissions(route)
        if not permissions:
            problems.append(f"{method} {path}: declares no permission (use a Can… alias or @public)")
        elif PUBLIC in permissions and len(permissions) > 1:
            problems.append(f"{method} {path}: is @public yet requires {sorted(permissions - {PUBLIC})}")
        elif permissions - known:
            problems.append(f"{method} {path}: unknown permissions {sorted(permissions - known)}")
    return problems


def bare_app() -> FastAPI:
    return create_app(Settings(environment="test", secret_key=TEST_SECRET_KEY))


def test_every_route_of_the_schema_declares_a_permission() -> None:
    app = bare_app()
    assert list(schema_routes(app)), "the schema lists no routes"
    assert undeclared(app) == []


def test_a_route_without_a_declared_permission_is_caught() -> None:
    app = bare_app()
    extra = APIRouter()

    @extra.get("/api/forgotten")
    async def forgotten() -> dict[str, str]:
        return {}

    @extra.get("/api/declared")
    async def declared(principal: CanReadCompanies) -> dict[str, str]:
        return {}

    app.include_router(extra)
    assert undeclared(app) == ["GET /api/forgotten: declares no permission (use a Can… alias or @public)"]


# --- how each route answers each caller -------------------------------------------------------------------


class Scope(Enum):
    TENANT = "a resource of company A: other companies' users get 404"
    OWN = "the caller's own resource"


@dataclass(frozen=True)
class Caller:
    label: str
    role: Role | None  # None: no token at all
    other_company: bool = False


CALLERS = (
    Caller("no token", None),
    Caller("msp_admin", Role.msp_admin),
    Caller("company_admin", Role.company_admin),
    Caller("technician", Role.technician),
    Caller("company_admin of another company", Role.company_admin, other_company=True),
    Caller("technician of another company", Role.technician, other_company=True),
)


@dataclass
class SignedIn:
    id: str
    email: str
    password: str
    token: str


@dataclass
class Call:
    stack: Stack
    company: TenantCreds  # company A: every path parameter names something of it
    caller: SignedIn | None


async def sign_up(stack: Stack, role: Role, company_ids: list[str]) -> SignedIn:
    email, password = f"{role.value}-{uuid.uuid4().hex[:10]}@example.com", "correct horse battery"
    async with stack.services.sessions() as session, session.begin():
        user = await create_user(
            session,
            stack.services.passwords,
            email=email,
            password=password,
            role=role,
            company_ids=company_ids,
        )
    response = await login(stack, email, password, device())
    assert response.status_code == 200, response.text
    return SignedIn(user.id, email, password, response.json()["access_token"])


async def _company(call: Call) -> str:
    return call.company.id


async def _technician(call: Call) -> str:
    return (await sign_up(call.stack, Role.technician, [call.company.id])).id


async def _api_key(call: Call) -> str:
    async with call.stack.services.sessions() as session, session.begin():
        key, _ = issue_api_key(session, call.company.id)
    return key.id


async def _incident(call: Call) -> str:
    response = await call.stack.post_alert(call.company, alert_body(asset_name=f"web-{uuid.uuid4().hex[:6]}"))
    assert response.status_code in (200, 202), response.text
    alert_id = response.json()["alert_id"]
    alerts = await eventually(
        lambda: call.stack.alerts(call.company.id),
        lambda rows: any(a.id == alert_id and a.incident_id for a in rows),
    )
    incident_id = next(a.incident_id for a in alerts if a.id == alert_id)
    assert incident_id is not None
    await eventually(
        lambda: call.stack.incidents(call.company.id), lambda rows: incident_id in {i.id for i in rows}
    )
    return incident_id


async def _alert(call: Call) -> str:
    response = await call.stack.post_alert(call.company, alert_body(asset_name=f"web-{uuid.uuid4().hex[:6]}"))
    assert response.status_code in (200, 202), response.text
    return str(response.json()["alert_id"])


async def _maintenance_window(call: Call) -> str:
    async with call.stack.services.sessions() as session, session.begin():
        window = MaintenanceWindow(
            company_id=call.company.id,
            name="Patching",
            kind="weekly",
            weekly=[{"days": ["sun"], "start": "01:00", "end": "03:00"}],
        )
        session.add(window)
    return window.id


async def _runbook(call: Call) -> str:
    async with call.stack.services.sessions() as session, session.begin():
        runbook = Runbook(
            company_id=call.company.id,
            name="Restart",
            signatures=["service_down*"],
            risk_level="medium",
            executor="ssm",
            actions=["systemctl restart nginx"],
        )
        session.add(runbook)
    return runbook.id


async def _schedule(call: Call) -> str:
    async with call.stack.services.sessions() as session, session.begin():
        schedule = OncallSchedule(
            company_id=call.company.id,
            name="Primary",
            layers=[
                {
                    "name": "L1",
                    "rotation": "weekly",
                    "handoff_time": "09:00",
                    "starts_on": "2025-01-06",
                    "participants": ["usr_someone"],
                }
            ],
        )
        session.add(schedule)
    return schedule.id


async def _escalation_chain(call: Call) -> str:
    async with call.stack.services.sessions() as session, session.begin():
        chain = EscalationChain(
            company_id=call.company.id,
            name="Chain",
            levels=[{"level": 1, "notify": {"oncall": True}, "wait_minutes": 15, "reassign": True}],
        )
        session.add(chain)
    return chain.id


async def _own_session(call: Call) -> str:
    if call.caller is None:
        return "no-such-session"
    # Another device of the caller, so ending it leaves the session the call is made with.
    again = await login(call.stack, call.caller.email, call.caller.password, device())
    sessions = await call.stack.http.get(
        f"{call.stack.url}/api/auth/sessions",
        headers={"Authorization": f"Bearer {again.json()['access_token']}"},
    )
    return str(next(s["id"] for s in sessions.json() if s["current"]))


async def _own_notification(call: Call) -> str:
    if call.caller is None:
        return "ntf_nosuch"
    async with call.stack.services.sessions() as session, session.begin():
        notification = Notification(
            notification_key=f"incident-x:assignment:{uuid.uuid4().hex[:8]}",
            user_id=call.caller.id,
            company_id=call.company.id,
            incident_id="incident-x",
            kind="assignment",
            severity="high",
            title="Assigned to you",
        )
        session.add(notification)
    return notification.id


# Path parameter name -> what it names and how to make a fresh one. A new route with a parameter not
# listed here fails the test until it is added.
PATH_FIXTURES: dict[str, tuple[Scope, Callable[[Call], Awaitable[str]]]] = {
    "company_id": (Scope.TENANT, _company),
    "user_id": (Scope.TENANT, _technician),
    "key_id": (Scope.TENANT, _api_key),
    "incident_id": (Scope.TENANT, _incident),
    "alert_id": (Scope.TENANT, _alert),
    "window_id": (Scope.TENANT, _maintenance_window),
    "runbook_id": (Scope.TENANT, _runbook),
    "schedule_id": (Scope.TENANT, _schedule),
    "chain_id": (Scope.TENANT, _escalation_chain),
    "session_id": (Scope.OWN, _own_session),
    "notification_id": (Scope.OWN, _own_notification),
}


async def _decide_body(call: Call) -> dict[str, Any]:
    return {"incident_id": await _incident(call)}


# Routes whose body names something (rather than their path): what to send and what it names. Other
# routes get an empty body.
BODY_FIXTURES: dict[tuple[str, str], tuple[Scope, Callable[[Call], Awaitable[dict[str, Any]]]]] = {
    ("POST", "/api/agent/decide"): (Scope.TENANT, _decide_body),
}


async def _company_query(call: Call) -> dict[str, str]:
    return {"company_id": call.company.id}


# Routes whose query names something: what to send and what it names.
QUERY_FIXTURES: dict[tuple[str, str], tuple[Scope, Callable[[Call], Awaitable[dict[str, str]]]]] = {
    ("GET", "/api/remediation/figures"): (Scope.TENANT, _company_query),
    ("GET", "/api/kpis"): (Scope.TENANT, _company_query),
    ("GET", "/api/kpis/technicians"): (Scope.TENANT, _company_query),
    ("GET", "/api/users/directory"): (Scope.TENANT, _company_query),
    ("GET", "/api/alerts"): (Scope.TENANT, _company_query),
}


def path_parameters(route: APIRoute) -> list[str]:
    """Its path parameters, including those only a dependency (such as `ScopedCompany`) declares."""
    names, pending = [], [route.dependant]
    while pending:
        dependant = pending.pop()
        names.extend(p.name for p in dependant.path_params)
        pending.extend(dependant.dependencies)
    return list(dict.fromkeys(names))


def expected_outcome(permissions: set[str], caller: Caller, scopes: set[Scope]) -> str:
    if caller.role is None:
        return "401"
    if not all(Permission(p) in ROLE_PERMISSIONS[caller.role] for p in permissions):
        return "403"
    if caller.other_company and Scope.TENANT in scopes:
        return "404"
    return "allowed"


def observed_outcome(response: httpx.Response) -> str:
    if response.status_code in (401, 403, 404):
        return str(response.status_code)
    if response.status_code >= 500:
        return f"error {response.status_code}"
    return "allowed"


async def call_as(
    stack: Stack, other: TenantCreds, method: str, path: str, route: APIRoute, caller: Caller
) -> tuple[str, httpx.Response]:
    """Makes everything afresh (company A, its objects, the caller), since a call may delete them."""
    company = await stack.company("A")
    signed_in = None
    if caller.role is not None:
        company_ids = (
            [] if caller.role == Role.msp_admin else [other.id if caller.other_company else company.id]
        )
        signed_in = await sign_up(stack, caller.role, company_ids)
    call = Call(stack, company, signed_in)
    url = path
    for name in path_parameters(route):
        assert name in PATH_FIXTURES, f"{method} {path}: add a fixture for {{{name}}} to PATH_FIXTURES"
        url = url.replace(f"{{{name}}}", await PATH_FIXTURES[name][1](call))
    headers = {"Authorization": f"Bearer {signed_in.token}"} if signed_in else {}
    body: dict[str, Any] | None = {} if method in WITH_BODY else None
    if (method, path) in BODY_FIXTURES:
        body = await BODY_FIXTURES[(method, path)][1](call)
    params = await QUERY_FIXTURES[(method, path)][1](call) if (method, path) in QUERY_FIXTURES else None
    # A connection of its own: none idles in a pool while the fixtures of the parallel calls are made, so
    # none is closed by the server's keep-alive timeout just as it is reused.
    async with httpx.AsyncClient(timeout=60) as http:
        response = await http.request(method, f"{stack.url}{url}", headers=headers, json=body, params=params)
    return url, response


@pytest.fixture
def cheap_passwords(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """The matrix's hundreds of sign-ups and sign-ins were most of its time on the one hashing thread."""
    cheap_password_hashes(stack, monkeypatch)


@pytest.mark.usefixtures("cheap_passwords")
async def test_every_route_answers_each_caller_as_the_matrix_says(stack: Stack) -> None:
    other = await stack.company("Other")
    app = create_app(stack.settings, stack.services)
    cases = [
        (method, path, route, caller)
        for method, path, route in schema_routes(app)
        if PUBLIC not in declared_permissions(route)
        for caller in CALLERS
    ]
    assert len(cases) >= 6 * 15, f"only {len(cases)} calls: are the routers included?"
    parallel = asyncio.Semaphore(8)

    async def check(method: str, path: str, route: APIRoute, caller: Caller) -> str | None:
        async with parallel:
            url, response = await call_as(stack, other, method, path, route, caller)
        scopes = {PATH_FIXTURES[name][0] for name in path_parameters(route)}
        for fixtures in (BODY_FIXTURES, QUERY_FIXTURES):
            if (method, path) in fixtures:
                scopes.add(fixtures[(method, path)][0])
        want = expected_outcome(declared_permissions(route), caller, scopes)
        if want == observed_outcome(response):
            return None
        return (
            f"{method} {url} as {caller.label}: want {want}, got {response.status_code} {response.text[:300]}"
        )

    mismatches = [m for m in await asyncio.gather(*(check(*case) for case in cases)) if m]
    assert mismatches == [], "\n".join(mismatches)
