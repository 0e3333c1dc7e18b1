"""Runbooks over HTTP: managing them, what a write must satisfy, who may write which, and their history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from core.accounts.roles import Role
from core.db.models import AuditLog, RemediationRun
from tests.support.signin import bearer
from tests.support.stack import Stack, TenantCreds


def restart_body(company_id: str | None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "company_id": company_id,
        "name": f"Restart {uuid.uuid4().hex[:6]}",
        "description": "Restarts the unit named by the service label",
        "signatures": ["service_down*", "*_service_*"],
        "risk_level": "medium",
        "executor": "ssm",
        "actions": ["systemctl restart -- {service}"],
        "rollback_actions": ["systemctl start -- {service}"],
        "pre_check": "systemctl is-active --quiet -- {service}",
        "post_check": "systemctl is-active --quiet -- {service}",
        "parameters": [{"name": "service", "source": "label:service", "pattern": "^[A-Za-z0-9_.@-]+$"}],
        "auto_approve": False,
        "timeout_seconds": 120,
    }
    body.update(overrides)
    return body


class Api:
    def __init__(self, stack: Stack, user: dict[str, str]) -> None:
        self.stack, self.user, self.headers = stack, user, bearer(user["access_token"])

    async def call(self, method: str, path: str = "", json: Any = None, **params: Any) -> httpx.Response:
        return await self.stack.http.request(
            method,
            f"{self.stack.url}/api/runbooks{path}",
            json=json,
            params=params or None,
            headers=self.headers,
        )

    async def create(self, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.call("POST", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


async def as_role(stack: Stack, role: Role, companies: list[TenantCreds]) -> Api:
    return Api(stack, await stack.user(role, [c.id for c in companies]))


def spec_of(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "company_id"}


# --- managing runbooks ---------------------------------------------------------------------------------


async def test_company_admin_creates_reads_replaces_and_deletes_a_runbook_and_each_change_is_audited(
    stack: Stack,
) -> None:
    acme = await stack.company()
    admin = await as_role(stack, Role.company_admin, [acme])
    body = restart_body(acme.id, name="  Restart web units ", demo=False)
    created = await admin.create(body)
    assert created["name"] == "Restart web units" and created["company_id"] == acme.id
    assert {k: created[k] for k in spec_of(body) if k != "name"} == {
        k: v for k, v in spec_of(body).items() if k != "name"
    }
    assert created["created_by"] == admin.user["id"] and created["demo"] is False
    assert created["history"] == {
        "runs": 0,
        "succeeded": 0,
        "failed": 0,
        "success_rate": None,
        "last_run_at": None,
    }

    shown = await admin.call("GET", f"/{created['id']}")
    assert shown.status_code == 200 and shown.json() == created

    replaced = await admin.call(
        "PUT",
        f"/{created['id']}",
        json=spec_of(restart_body(None, name="Restart web units", timeout_seconds=300)),
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["timeout_seconds"] == 300 and replaced.json()["company_id"] == acme.id

    assert (await admin.call("DELETE", f"/{created['id']}")).status_code == 204
    assert (await admin.call("GET", f"/{created['id']}")).status_code == 404

    async with stack.services.sessions() as session:
        rows = await session.execute(
            select(AuditLog).where(AuditLog.object_id == created["id"]).order_by(col(AuditLog.at))
        )
        audit = [(e.action, e.actor, e.company_id, e.before, e.after) for e in rows.scalars()]
    assert [a[:3] for a in audit] == [
        ("runbook.create", admin.user["id"], acme.id),
        ("runbook.update", admin.user["id"], acme.id),
        ("runbook.delete", admin.user["id"], acme.id),
    ]
    assert audit[1][3:] == ({"timeout_seconds": 120}, {"timeout_seconds": 300})


async def test_lists_filter_by_company_signature_and_global(stack: Stack) -> None:
    acme = await stack.company()
    msp = await as_role(stack, Role.msp_admin, [])
    disk = await msp.create(restart_body(None, name=f"Disk {uuid.uuid4().hex[:6]}", signatures=["DISK_*"]))
    restart = await msp.create(restart_body(acme.id))
    technician = await as_role(stack, Role.technician, [acme])

    async def ids(**params: Any) -> list[str]:
        response = await technician.call("GET", **params)
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json() if r["id"] in {disk["id"], restart["id"]}]

    assert await ids() == [disk["id"], restart["id"]]  # global first
    assert await ids(company_id=acme.id) == [disk["id"], restart["id"]]
    assert await ids(company_id=acme.id, include_global="false") == [restart["id"]]
    assert await ids(include_global="false") == [restart["id"]]
    assert await ids(signature="disk_space_critical") == [disk["id"]]  # globs ignore case
    assert await ids(signature="nginx_service_down") == [restart["id"]]
    assert await ids(signature="cpu_high") == []


# --- what a write must satisfy -------------------------------------------------------------------------

INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("empty actions", {"actions": [], "rollback_actions": []}, "at least 1 item"),
    ("too many actions", {"actions": ["true"] * 51}, "at most 50 items"),
    ("oversize command", {"actions": ["echo " + "x" * 4092]}, "at most 4096 characters"),
    ("NUL in a command", {"actions": ["echo a\x00b"]}, "NUL"),
    ("blank command", {"actions": ["  "]}, "must not be blank"),
    ("unknown executor", {"executor": "ssh"}, "'ssm' or 'local'"),
    ("unknown risk level", {"risk_level": "extreme"}, "'low', 'medium' or 'high'"),
    (
        "parameter without pattern",
        {"parameters": [{"name": "service", "source": "label:service"}]},
        "Field required",
    ),
    (
        "invalid regex",
        {"parameters": [{"name": "service", "source": "label:service", "pattern": "^[a-z"}]},
        "not a valid regular expression",
    ),
    (
        "repetition beyond the regex engine",
        {"parameters": [{"name": "service", "source": "label:service", "pattern": "^a{99999999999}$"}]},
        "not a valid regular expression",
    ),
    (
        "unknown source",
        {"parameters": [{"name": "service", "source": "message", "pattern": "^.+$"}]},
        "is not a source: use asset_name, asset_id or label:<name>",
    ),
    (
        "blank label source",
        {"parameters": [{"name": "service", "source": "label:", "pattern": "^.+$"}]},
        "a label name is",
    ),
    (
        "parameter name not an identifier",
        {"parameters": [{"name": "my-service", "source": "label:service", "pattern": "^.+$"}]},
        "should match pattern",
    ),
    (
        "duplicate parameter",
        {
            "parameters": [
                {"name": "service", "source": "label:service", "pattern": "^.+$"},
                {"name": "service", "source": "label:unit", "pattern": "^.+$"},
            ]
        },
        "service declared more than once",
    ),
    ("undeclared placeholder", {"post_check": "curl -fsS {url}"}, "{url} name no declared parameter"),
    (
        "rollback longer than actions",
        {"rollback_actions": ["true", "true"]},
        "rollback_actions: 2 for 1 actions",
    ),
    ("timeout too short", {"timeout_seconds": 4}, "greater than or equal to 5"),
    ("timeout too long", {"timeout_seconds": 3601}, "less than or equal to 3600"),
    ("no signatures", {"signatures": []}, "at least 1 item"),
    ("blank glob", {"signatures": ["disk_*", " "]}, "must not be blank"),
    ("blank name", {"name": "   "}, "must not be blank"),
    ("unknown field", {"owner": "me"}, "Extra inputs are not permitted"),
]


async def test_each_invalid_write_answers_422_with_its_reason(stack: Stack) -> None:
    acme = await stack.company()
    admin = await as_role(stack, Role.company_admin, [acme])
    existing = await admin.create(restart_body(acme.id))
    problems = []
    for label, change, reason in INVALID:
        for method, path, body in (
            ("POST", "", restart_body(acme.id, **change)),
            ("PUT", f"/{existing['id']}", spec_of(restart_body(acme.id, **change))),
        ):
            response = await admin.call(method, path, json=body)
            messages = (
                " | ".join(e["msg"] for e in response.json()["detail"]) if response.status_code == 422 else ""
            )
            if response.status_code != 422 or reason not in messages:
                problems.append(f"{label} ({method}): {response.status_code} {response.text[:300]}")
    assert problems == []


async def test_shell_variables_and_non_identifier_braces_are_not_taken_for_placeholders(stack: Stack) -> None:
    acme = await stack.company()
    admin = await as_role(stack, Role.company_admin, [acme])
    await admin.create(
        restart_body(acme.id, actions=["echo ${HOME} {} {a,b} && awk '{ print $1 }' /etc/hostname {service}"])
    )


# --- who may write which --------------------------------------------------------------------------------


async def test_global_runbooks_are_the_msps_to_write_and_everyone_s_to_read(stack: Stack) -> None:
    acme = await stack.company()
    msp = await as_role(stack, Role.msp_admin, [])
    admin = await as_role(stack, Role.company_admin, [acme])
    technician = await as_role(stack, Role.technician, [acme])
    shared = await msp.create(restart_body(None))
    assert shared["company_id"] is None

    refused = await admin.call("POST", json=restart_body(None))
    assert refused.status_code == 403 and "only an msp_admin" in refused.json()["detail"]
    for method, body in (("PUT", spec_of(restart_body(None))), ("DELETE", None)):
        response = await admin.call(method, f"/{shared['id']}", json=body)
        assert response.status_code == 403, (method, response.text)
        assert "global runbooks" in response.json()["detail"]
    for reader in (admin, technician):
        assert (await reader.call("GET", f"/{shared['id']}")).status_code == 200

    replaced = await msp.call("PUT", f"/{shared['id']}", json=spec_of(restart_body(None, risk_level="high")))
    assert replaced.status_code == 200 and replaced.json()["risk_level"] == "high"
    assert (await msp.call("DELETE", f"/{shared['id']}")).status_code == 204


async def test_a_technician_reads_runbooks_but_cannot_write_them(stack: Stack) -> None:
    acme = await stack.company()
    admin = await as_role(stack, Role.company_admin, [acme])
    technician = await as_role(stack, Role.technician, [acme])
    own = await admin.create(restart_body(acme.id))
    assert (await technician.call("GET", f"/{own['id']}")).status_code == 200
    for method, path, body in (
        ("POST", "", restart_body(acme.id)),
        ("PUT", f"/{own['id']}", spec_of(restart_body(acme.id))),
        ("DELETE", f"/{own['id']}", None),
    ):
        response = await technician.call(method, path, json=body)
        assert response.status_code == 403, (method, response.text)
        assert "lacks runbooks:manage" in response.json()["detail"]


async def test_only_the_msp_writes_runbooks_for_the_local_executor(stack: Stack) -> None:
    acme = await stack.company()
    admin = await as_role(stack, Role.company_admin, [acme])
    refused = await admin.call("POST", json=restart_body(acme.id, executor="local"))
    assert refused.status_code == 403 and "worker host" in refused.json()["detail"]
    own = await admin.create(restart_body(acme.id))
    moved = await admin.call("PUT", f"/{own['id']}", json=spec_of(restart_body(None, executor="local")))
    assert moved.status_code == 403, moved.text
    msp = await as_role(stack, Role.msp_admin, [])
    assert (
        await msp.call("PUT", f"/{own['id']}", json=spec_of(restart_body(None, executor="local")))
    ).status_code == 200
    # Once local, the company's admin can no longer change or delete it either.
    assert (await admin.call("DELETE", f"/{own['id']}")).status_code == 403


async def test_another_companys_runbooks_answer_404_as_if_missing(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    theirs = await (await as_role(stack, Role.company_admin, [globex])).create(restart_body(globex.id))
    # A technician's writes stop at the permission (403) before their tenancy is looked at.
    calls = {Role.company_admin: ("GET", "PUT", "DELETE"), Role.technician: ("GET",)}
    for role, methods in calls.items():
        ours = await as_role(stack, role, [acme])
        for method in methods:
            body = spec_of(restart_body(None)) if method == "PUT" else None
            response = await ours.call(method, f"/{theirs['id']}", json=body)
            assert response.status_code == 404, (role, method, response.text)
            assert response.json()["detail"] == f"no runbook {theirs['id']}"
        listed = await ours.call("GET", company_id=globex.id)
        assert theirs["id"] not in {r["id"] for r in listed.json()}
    admin = await as_role(stack, Role.company_admin, [acme])
    into_theirs = await admin.call("POST", json=restart_body(globex.id))
    assert into_theirs.status_code == 404 and into_theirs.json()["detail"] == f"no company {globex.id}"


async def test_a_company_with_runbooks_can_be_deleted(stack: Stack) -> None:
    acme = await stack.company()
    msp = await as_role(stack, Role.msp_admin, [])
    own = await msp.create(restart_body(acme.id))
    deleted = await stack.http.delete(f"{stack.url}/api/companies/{acme.id}", headers=msp.headers)
    assert deleted.status_code == 204, deleted.text
    assert (await msp.call("GET", f"/{own['id']}")).status_code == 404


# --- history ---------------------------------------------------------------------------------------------


async def record_runs(
    stack: Stack, company_id: str, runbook_id: str, statuses: list[str], start: datetime
) -> None:
    async with stack.services.sessions() as session, session.begin():
        for i, status in enumerate(statuses):
            at = start + timedelta(minutes=i)
            session.add(
                RemediationRun(
                    id=f"remediation-{uuid.uuid4().hex}",
                    incident_id=f"incident-{uuid.uuid4().hex[:8]}",
                    company_id=company_id,
                    asset_name="web-01",
                    signature="nginx_service_down",
                    runbook_id=runbook_id,
                    status=status,
                    requested_at=at - timedelta(seconds=30),
                    started_at=None if status == "awaiting_approval" else at,
                    finished_at=None
                    if status in ("awaiting_approval", "running")
                    else at + timedelta(seconds=5),
                )
            )


@pytest.mark.parametrize("reader_role", [Role.technician, Role.msp_admin])
async def test_history_counts_finished_runs_of_the_readers_companies(stack: Stack, reader_role: Role) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    msp = await as_role(stack, Role.msp_admin, [])
    shared = await msp.create(restart_body(None))
    never_ran = await msp.create(restart_body(None))
    start = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    await record_runs(
        stack, acme.id, shared["id"], ["succeeded", "failed", "rolled_back", "succeeded", "running"], start
    )
    await record_runs(
        stack, globex.id, shared["id"], ["succeeded", "awaiting_approval"], start + timedelta(hours=1)
    )

    reader = await as_role(stack, reader_role, [] if reader_role == Role.msp_admin else [acme])
    shown = (await reader.call("GET", f"/{shared['id']}")).json()["history"]
    if reader_role == Role.msp_admin:
        want = {
            "runs": 5,
            "succeeded": 3,
            "failed": 2,
            "success_rate": 0.6,
            "last_run_at": "2030-01-01T13:00:00Z",
        }
    else:  # Globex's runs of the shared runbook are Globex's business.
        want = {
            "runs": 4,
            "succeeded": 2,
            "failed": 2,
            "success_rate": 0.5,
            "last_run_at": "2030-01-01T12:03:00Z",
        }
    assert shown == want
    listed = {r["id"]: r["history"] for r in (await reader.call("GET")).json()}
    assert listed[shared["id"]] == want
    assert listed[never_ran["id"]]["runs"] == 0 and listed[never_ran["id"]]["success_rate"] is None
