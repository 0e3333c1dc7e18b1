"""Filling a runbook's parameters: only from declared sources, checked against their pattern, quoted."""

from __future__ import annotations

import shlex
import subprocess
from types import SimpleNamespace
from typing import Any

import pytest

from core.runbooks.library import SERVICE
from core.runbooks.render import Facts, RenderError, fill, parameter_values, render_plan

SERVICE_PARAMETER = SERVICE.model_dump()
# A pattern too loose for its job: quoting alone must then keep the value one argument.
ANYTHING = {"name": "service", "source": "label:service", "pattern": r"(?s).+"}


def runbook(**overrides: Any) -> SimpleNamespace:
    fields: dict[str, Any] = {
        "id": "rb_1",
        "name": "Service restart",
        "risk_level": "medium",
        "executor": "ssm",
        "actions": ["systemctl restart -- {service}"],
        "rollback_actions": ["systemctl start -- {service}"],
        "pre_check": "systemctl is-active --quiet -- {service}",
        "post_check": None,
        "parameters": [SERVICE_PARAMETER],
        "timeout_seconds": 60,
        "demo": False,
    }
    fields.update(overrides)
    return SimpleNamespace(**fields)


def facts(**labels: str) -> Facts:
    return Facts(asset_name="web-01", asset_id="i-0abc", labels=labels)


@pytest.mark.parametrize(
    "label",
    ["nginx; rm -rf /", "$(reboot)", "`reboot`", "nginx\nreboot", "nginx && reboot", "a b", "'", ""],
    ids=["semicolon", "command-substitution", "backticks", "newline", "and-list", "space", "quote", "empty"],
)
def test_a_label_carrying_shell_syntax_is_refused_by_the_service_pattern(label: str) -> None:
    with pytest.raises(RenderError, match="does not match its pattern"):
        render_plan(runbook(), facts(service=label), "c1", [])


@pytest.mark.parametrize(
    "label", ["nginx; rm -rf /", "$(reboot)", "`reboot`", "nginx\nreboot", "it's", "${HOME}", "-rf"]
)
def test_with_a_loose_pattern_the_value_is_still_one_quoted_argument(label: str) -> None:
    command = fill("printf '%s|' {service}", parameter_values([ANYTHING], facts(service=label)))
    assert shlex.split(command) == ["printf", "%s|", label]
    ran = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True)
    assert ran.stdout == f"{label}|"


def test_values_come_only_from_the_declared_sources() -> None:
    parameters = [
        {"name": "host", "source": "asset_name", "pattern": r"^[a-z0-9-]+$"},
        {"name": "instance", "source": "asset_id", "pattern": r"^i-[0-9a-f]+$"},
        {"name": "unit", "source": "label:service", "pattern": r"^[a-z]+$"},
    ]
    plan = render_plan(
        runbook(
            actions=["echo {host} {instance} {unit}"],
            rollback_actions=[],
            pre_check=None,
            parameters=parameters,
        ),
        facts(service="nginx", message="nginx; rm -rf /"),
        "c1",
        ["i-0abc"],
    )
    assert plan.actions == ["echo web-01 i-0abc nginx"]


def test_a_missing_source_names_the_parameter_and_the_source() -> None:
    with pytest.raises(RenderError, match=r"parameter 'service': the incident has no label:service"):
        render_plan(runbook(), facts(), "c1", [])


def test_an_asset_without_an_id_cannot_fill_an_asset_id_parameter() -> None:
    parameters = [{"name": "instance", "source": "asset_id", "pattern": r"^i-[0-9a-f]+$"}]
    with pytest.raises(RenderError, match="has no asset_id"):
        render_plan(
            runbook(actions=["echo {instance}"], rollback_actions=[], pre_check=None, parameters=parameters),
            Facts(asset_name="web-01"),
            "c1",
            [],
        )


def test_shell_variables_and_braces_that_are_not_parameters_are_left_alone() -> None:
    command = "echo ${HOME} ${service} {} {a,b} '{ print $1 }' {service}"
    assert fill(command, {"service": "nginx"}) == "echo ${HOME} ${service} {} {a,b} '{ print $1 }' nginx"


def test_every_command_of_the_plan_is_filled() -> None:
    plan = render_plan(
        runbook(post_check="systemctl is-active -- {service}"), facts(service="nginx"), "c1", []
    )
    assert plan.actions == ["systemctl restart -- nginx"]
    assert plan.rollback_actions == ["systemctl start -- nginx"]
    assert plan.pre_check == "systemctl is-active --quiet -- nginx"
    assert plan.post_check == "systemctl is-active -- nginx"


def test_a_value_with_backslashes_is_filled_as_it_is() -> None:
    loose = {"name": "path", "source": "label:path", "pattern": r".+"}
    command = fill("ls {path}", parameter_values([loose], facts(path=r"C:\temp\1")))
    assert shlex.split(command) == ["ls", r"C:\temp\1"]
