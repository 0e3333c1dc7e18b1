"""Schemathesis against the running API: whatever its OpenAPI schema allows, and whatever it forbids,
gets a deliberate answer, never a server error, and answers look the way the schema says.

Checks, and why these:
- `not_a_server_error`: no 5xx for any input, valid or not.
- `response_schema_conformance`, `content_type_conformance`: a documented answer has the documented
  shape and media type (the CSV export is documented as `text/csv`).
- `status_code_conformance`, except for 401, 403 and 404: FastAPI documents a route's success status and
  422, not the `HTTPException`s its dependencies raise (sign-in, permission, tenant scoping answer those
  for every route alike), so they would be false positives on nearly every operation.
- `refusal_gives_a_reason` (ours): every 4xx says why, in `detail`.
- `negative_data_rejection`, for inputs the schema forbids: they are refused with a 4xx.

Not fuzzed here: the alert webhook (its body needs a valid HMAC; tests/api/test_webhook_fuzz.py fuzzes it),
and sign-out (it would end the session the fuzzer runs on, and takes no input to fuzz).
Random ids make the DELETE routes answer 404, so the fixtures' admin survives them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, CheckContext, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from core.accounts.roles import Role
from tests.support.hypothesis_profiles import session_seed
from tests.support.signin import bearer, cheap_password_hashes, fresh_ip
from tests.support.stack import Stack

# Examples per operation and mode, by how many inputs it has (parameters and body fields other than the
# credentials): the search space grows with them, and it takes no more than a few examples to see that an
# operation whose only input is an id in its path answers a random id with 404. With 30 positive and 20
# negative for every operation the fuzzer took a third of the suite's time; the budget now goes where the
# inputs are. The native webhooks only answer 401 here (they take an API key, not a bearer token), and
# their own fuzz tests (tests/api/test_*_webhook.py) give them a valid key and a budget of their own.
# Sign-in costs a full Argon2 check per example, and tests/api/test_sessions.py covers it at length.
# When an operation's only input is an id in its path, a value the schema forbids is hard to find (a path
# segment is always a string): each negative example cost a couple of seconds of rejected draws.
MAX_EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 20}
MIN_EXAMPLES = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 5}
EXAMPLES_PER_INPUT = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 3}
AT_MINIMUM = {("POST", "/api/auth/login")}
PATH_ONLY_NEGATIVE = 3
CREDENTIALS = {"api_key", "x-api-key", "authorization", "x-signature", "x-timestamp", "x-delivery-id"}
NOT_FUZZED = {
    ("POST", "/api/webhooks/alerts"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/logout-all"),
}
# Answered by shared dependencies on every route (see the module docstring), never documented per route.
UNDOCUMENTED_REFUSALS = {401, 403, 404}

FUZZ = settings(  # on the profile tests/conftest.py loads: derandomized in CI, a seed per run locally
    deadline=None,
    # Each failure is recorded and the run goes on, so there is nothing to shrink.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def status_code_conformance_but_shared_refusals(
    ctx: CheckContext, response: Response, case: Case
) -> bool | None:
    if response.status_code in UNDOCUMENTED_REFUSALS:
        return None
    return status_code_conformance(ctx, response, case)


def negative_data_rejection_or_too_large(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A body over the webhook cap is refused with 413 before its schema is looked at: a rejection too."""
    if response.status_code == 413:
        return None
    return negative_data_rejection(ctx, response, case)


def refusal_gives_a_reason(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    if not 400 <= response.status_code < 500:
        return None
    try:
        detail = json.loads(response.content).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if not detail:
        raise AssertionError(
            f"{response.status_code} without a reason in `detail`: {response.content[:300]!r}"
        )
    return None


CHECKS: dict[GenerationMode, list[Callable[..., bool | None]]] = {
    GenerationMode.POSITIVE: [
        not_a_server_error,
        status_code_conformance_but_shared_refusals,
        content_type_conformance,
        response_schema_conformance,
        refusal_gives_a_reason,
    ],
    GenerationMode.NEGATIVE: [
        not_a_server_error,
        negative_data_rejection_or_too_large,
        refusal_gives_a_reason,
    ],
}


def parameters(operation: APIOperation) -> list[dict[str, Any]]:
    """Its parameters, leaving out credentials."""
    listed: list[dict[str, Any]] = operation.definition.raw.get("parameters", [])
    return [p for p in listed if p.get("name", "").lower() not in CREDENTIALS]


def inputs(operation: APIOperation, components: dict[str, Any]) -> int:
    """Its parameters and top-level body fields, leaving out credentials."""
    raw = operation.definition.raw
    fields = 0
    for content in raw.get("requestBody", {}).get("content", {}).values():
        body = content.get("schema", {})
        if "$ref" in body:
            body = components.get(body["$ref"].rsplit("/", 1)[1], {})
        fields = max(fields, len(body.get("properties", {})), 1)
    return len(parameters(operation)) + fields


def budget(operation: APIOperation, mode: GenerationMode, components: dict[str, Any]) -> int:
    if (
        operation.path.startswith("/api/webhooks/")
        or (operation.method.upper(), operation.path) in AT_MINIMUM
    ):
        return MIN_EXAMPLES[mode]
    path_only = "requestBody" not in operation.definition.raw and all(
        p.get("in") == "path" for p in parameters(operation)
    )
    if mode == GenerationMode.NEGATIVE and path_only and parameters(operation):
        return PATH_ONLY_NEGATIVE
    wanted = MIN_EXAMPLES[mode] + EXAMPLES_PER_INPUT[mode] * inputs(operation, components)
    return min(MAX_EXAMPLES[mode], wanted)


def fuzz_operation(
    operation: APIOperation,
    mode: GenerationMode,
    examples: int,
    http: requests.Session,
    headers: dict[str, str],
    failures: dict[str, str],
) -> None:
    @settings(FUZZ, max_examples=examples)
    @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
    def run(case: Case) -> None:
        try:
            case.call_and_validate(session=http, checks=CHECKS[mode], timeout=30)
        except FailureGroup as found:
            titles = ", ".join(sorted({failure.title for failure in found.exceptions}))
            failures.setdefault(f"{operation.label} [{mode.value}] {titles}", str(found))

    try:
        run()
    except Unsatisfiable:
        # An operation with no parameters and no body has no input the schema forbids.
        assert mode == GenerationMode.NEGATIVE, operation.label


def fuzz(schema_url: str, headers: dict[str, str]) -> dict[str, str]:
    """Runs every operation in both modes; the first failure of each kind, by operation, with its curl."""
    schema = schemathesis.openapi.from_url(schema_url)
    components = schema.raw_schema.get("components", {}).get("schemas", {})
    failures: dict[str, str] = {}
    with requests.Session() as http:
        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path) in NOT_FUZZED:
                continue
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fuzz_operation(operation, mode, budget(operation, mode, components), http, headers, failures)
    return failures


async def test_no_operation_answers_any_input_with_a_server_error_or_off_its_schema(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, pytestconfig: pytest.Config
) -> None:
    # Creating users and changing passwords are fuzzed too: at Argon2's full cost, a quarter second each.
    cheap_password_hashes(stack, monkeypatch)
    admin = await stack.user(Role.msp_admin, [])
    await stack.company("Fuzzed")  # something for list endpoints to show
    # A sign-in address of its own, so the fuzzer's failed sign-ins throttle no other test.
    headers: dict[str, Any] = {**bearer(admin["access_token"]), "X-Forwarded-For": fresh_ip()}
    failures = await asyncio.to_thread(fuzz, f"{stack.url}/openapi.json", headers)
    assert not failures, f"rerun: {session_seed(pytestconfig)}\n\n" + "\n\n".join(
        f"== {key}\n{report}" for key, report in sorted(failures.items())
    )


# The two faults the fuzzer found (an offset past int64, and NUL, which PostgreSQL text cannot hold),
# replayed at every input that reaches the database with them, so they stay fixed once fixed.
HUGE = str(2**70)
NUL = "a\x00b"
A_USER = {"email": "fuzzed@example.com", "password": "a long enough password", "role": "msp_admin"}
ONCE_SERVER_ERRORS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/api/incidents", {"params": {"offset": HUGE}}),
    ("GET", "/api/users", {"params": {"offset": HUGE}}),
    ("GET", "/api/audit", {"params": {"offset": HUGE}}),
    ("GET", "/api/incidents", {"params": {"company_id": NUL}}),
    ("GET", "/api/users", {"params": {"company_id": NUL}}),
    ("GET", "/api/users", {"params": {"category": NUL}}),
    ("GET", "/api/audit", {"params": {"actor": NUL}}),
    ("GET", "/api/audit.csv", {"params": {"action": NUL}}),
    ("GET", "/api/incidents/a%00b", {}),
    ("GET", "/api/alerts", {"params": {"company_id": NUL}}),
    ("GET", "/api/alerts", {"params": {"disposition": NUL}}),
    ("GET", "/api/alerts/a%00b", {}),
    ("POST", "/api/alerts/a%00b/retry", {}),
    ("GET", "/api/users/a%00b", {}),
    ("GET", "/api/companies/a%00b", {}),
    ("DELETE", "/api/auth/sessions/a%00b", {}),
    ("POST", "/api/auth/login", {"json": {"email": f"{NUL}@example.com", "password": "whatever"}}),
    ("PUT", "/api/users/me", {"json": {"name": NUL}}),
    ("POST", "/api/companies", {"json": {"name": NUL}}),
    ("POST", "/api/users", {"json": {**A_USER, "name": NUL}}),
    ("POST", "/api/users", {"json": {**A_USER, "email": f"{NUL}@example.com"}}),
]


async def test_inputs_that_once_caused_server_errors_are_refused_with_a_reason(stack: Stack) -> None:
    admin = await stack.user(Role.msp_admin, [])
    headers = {**bearer(admin["access_token"]), "X-Forwarded-For": fresh_ip()}
    crashed = []
    for method, path, request in ONCE_SERVER_ERRORS:
        response = await stack.http.request(method, f"{stack.url}{path}", headers=headers, **request)
        if not 400 <= response.status_code < 500:
            crashed.append(f"{response.status_code} {method} {path} {request}")
        else:
            assert response.json()["detail"], (method, path, response.text)
    assert not crashed, "\n".join(crashed)
