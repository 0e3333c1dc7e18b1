"""docker-compose.yml: valid Compose Specification, and wired the way a production start needs."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from api.routes.agent import router as agent_router
from worker.temporal_server import SEARCH_ATTRIBUTE_TYPES

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
SCHEMA_FILE = Path(__file__).with_name("compose-spec.json")
APP_SERVICES = ("api", "worker")
SECRETS = ("AW_SECRET_KEY", "POSTGRES_PASSWORD")
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}

Service = dict[str, Any]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Service]:
    return compose["services"]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    # Its "$schema" URL lacks draft 7's trailing '#', so jsonschema would not recognise the draft and
    # would fall back to the newest one: name Draft 7 here.
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def schema_errors(validator: jsonschema.Draft7Validator, document: dict[str, Any]) -> list[str]:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


def environment(service: Service) -> dict[str, str | None]:
    env = service.get("environment", {})
    if isinstance(env, list):
        return {k: v for k, _, v in (item.partition("=") for item in env)}
    return {k: None if v is None else str(v) for k, v in env.items()}


def command_text(service: Service) -> str:
    command = service.get("command", "")
    return command if isinstance(command, str) else "\n".join(command)


def search_attribute_registration(services: dict[str, Service]) -> tuple[str, Service]:
    registering = [(n, s) for n, s in services.items() if "search-attribute create" in command_text(s)]
    assert len(registering) == 1, "exactly one service should register the search attributes"
    return registering[0]


def test_compose_file_matches_the_compose_specification(
    compose: dict[str, Any], validator: jsonschema.Draft7Validator
) -> None:
    assert "version" not in compose, "the Compose Specification has no `version:`"
    assert schema_errors(validator, compose) == []


def test_schema_rejects_a_misspelt_service_key(
    compose: dict[str, Any], validator: jsonschema.Draft7Validator
) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["api"]["helthcheck"] = broken["services"]["api"].pop("healthcheck")
    assert any(error.startswith("services/api:") for error in schema_errors(validator, broken))


def test_every_dependency_waits_for_a_condition_the_dependency_can_meet(services: dict[str, Service]) -> None:
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: a depends_on list waits for nothing but the start"
        for dependency, spec in depends_on.items():
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            condition = spec.get("condition")
            assert condition in CONDITIONS, f"{name} -> {dependency}: no condition"
            if condition == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck to pass"
            if condition == "service_completed_successfully":
                assert services[dependency].get("restart", "no") == "no", f"{dependency} never completes"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_start_only_on_migrated_db_and_ready_temporal(
    services: dict[str, Service], service: str
) -> None:
    registration, _ = search_attribute_registration(services)
    depends_on = services[service]["depends_on"]
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert depends_on["temporal"]["condition"] == "service_healthy"
    assert depends_on[registration]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_require_a_secret_key_and_offer_no_default(
    services: dict[str, Service], service: str
) -> None:
    env = environment(services[service])
    assert env["AW_ENVIRONMENT"] == "production"
    assert re.fullmatch(r"\$\{AW_SECRET_KEY:\?[^}]+\}", env["AW_SECRET_KEY"] or "")


@pytest.mark.parametrize("secret", SECRETS)
def test_secrets_are_interpolated_only_as_required_values(secret: str) -> None:
    text = COMPOSE_FILE.read_text()
    uses = re.findall(rf"(?<!\$)\$\{{?{secret}\b", text)
    required = re.findall(rf"(?<!\$)\$\{{{secret}:\?[^}}]+\}}", text)
    assert uses, f"{secret} is never used"
    assert len(required) == len(uses), f"every ${{{secret}}} must be written ${{{secret}:?message}}"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_reach_postgres_and_temporal_by_service_name(
    services: dict[str, Service], service: str
) -> None:
    env = environment(services[service])
    # Substitute the password as Compose does: unsubstituted, its `${...:?...}` parses as a URL query.
    database_url = re.sub(r"\$\{[^}]*\}", "secret", env["AW_DATABASE_URL"] or "")
    assert urlsplit(database_url).hostname in services
    assert (env["AW_TEMPORAL_ADDRESS"] or "").rsplit(":", 1)[0] in services


@pytest.mark.parametrize("service", ["postgres", "temporal", "api"])
def test_long_running_backends_have_healthchecks(services: dict[str, Service], service: str) -> None:
    test = services[service]["healthcheck"]["test"]
    assert isinstance(test, list)
    assert test[0] in ("CMD", "CMD-SHELL")


def test_postgres_healthcheck_uses_pg_isready(services: dict[str, Service]) -> None:
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]


def test_api_healthcheck_calls_the_ping_route(services: dict[str, Service]) -> None:
    probe = " ".join(services["api"]["healthcheck"]["test"])
    url = re.search(r"http://[^'\"\s]+", probe)
    assert url, "no URL in the api healthcheck"
    assert urlsplit(url.group()).path in {getattr(route, "path", None) for route in agent_router.routes}


def test_search_attribute_registration_matches_the_worker(services: dict[str, Service]) -> None:
    _, registration = search_attribute_registration(services)
    env = environment(registration)
    pairs = (env["SEARCH_ATTRIBUTES"] or "").split()
    registered = dict(pair.split("=", 1) for pair in pairs)
    assert len(registered) == len(pairs), "a search attribute is listed twice"
    assert registered == SEARCH_ATTRIBUTE_TYPES
    assert "$$SEARCH_ATTRIBUTES" in command_text(registration)


def test_search_attributes_go_into_the_namespace_the_app_uses(services: dict[str, Service]) -> None:
    _, registration = search_attribute_registration(services)
    assert registration["depends_on"]["temporal"]["condition"] == "service_healthy"
    namespace = environment(registration)["NAMESPACE"]
    for service in APP_SERVICES:
        assert environment(services[service])["AW_TEMPORAL_NAMESPACE"] == namespace


def test_postgres_init_creates_every_database_temporal_is_set_up_in(services: dict[str, Service]) -> None:
    schema_setup = [s for s in services.values() if "temporal-sql-tool" in command_text(s)]
    assert len(schema_setup) == 1
    needed = set(re.findall(r"--db (\w+)", command_text(schema_setup[0])))
    init_sql = "\n".join(p.read_text() for p in sorted((REPO / "deploy/postgres-init").glob("*.sql")))
    created = set(re.findall(r"CREATE DATABASE (\w+)", init_sql, flags=re.IGNORECASE))
    assert needed == {"temporal", "temporal_visibility"}
    assert needed <= created


def test_bind_mounted_host_paths_exist(services: dict[str, Service]) -> None:
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")):
                assert (REPO / source).exists(), f"{name}: {source} is missing"
