"""The audit log over HTTP: what changes leave behind, who may read it, and that nothing can rewrite it."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.routes.audit import CSV_BATCH, CSV_COLUMNS
from core.accounts.roles import Role
from core.audit import SYSTEM_ACTOR, record
from core.db.models import AuditLog
from tests.support.signin import bearer, device, login
from tests.support.stack import Stack

REPO = Path(__file__).resolve().parents[2]
APPLICATION_CODE = ("activities", "api", "worker", "workflows")


async def get_audit(stack: Stack, caller: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await stack.http.get(
        f"{stack.url}/api/audit", params=params, headers=bearer(caller["access_token"])
    )
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def add_entries(stack: Stack, *entries: dict[str, Any]) -> list[str]:
    """Entries as activities write them; an `at` backdates one, so time filters have something to cut."""
    ids = []
    async with stack.services.sessions() as session, session.begin():
        for fields in entries:
            at = fields.pop("at", None)
            entry = await record(session, **{"object_type": "thing", "object_id": "t1", **fields})
            if at is not None:
                entry.at = at
            ids.append(entry.id)
    return ids


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def test_company_and_user_changes_show_in_the_audit_log_newest_first(stack: Stack) -> None:
    admin = await stack.user(Role.msp_admin, [])
    created = await stack.http.post(
        f"{stack.url}/api/companies", json={"name": unique("Audited")}, headers=bearer(admin["access_token"])
    )
    assert created.status_code == 201, created.text
    company_id = created.json()["id"]
    updated = await stack.http.put(
        f"{stack.url}/api/companies/{company_id}",
        json={"critical_assets": ["db-prod-01"]},
        headers=bearer(admin["access_token"]),
    )
    assert updated.status_code == 200, updated.text
    new_user = {
        "email": f"{unique('tech')}@example.com",
        "password": "a long enough password",
        "name": "Terry Tech",
        "role": "technician",
        "company_ids": [company_id],
    }
    user = await stack.http.post(
        f"{stack.url}/api/users", json=new_user, headers=bearer(admin["access_token"])
    )
    assert user.status_code == 201, user.text

    page = await get_audit(stack, admin, company_id=company_id)
    assert [(e["action"], e["actor"], e["object_type"]) for e in page["items"]] == [
        ("user.create", admin["id"], "user"),
        ("company.update", admin["id"], "company"),
        ("company.create", admin["id"], "company"),
    ]
    assert page["total"] == 3
    user_created, company_updated, _ = page["items"]
    assert user_created["object_id"] == user.json()["id"]
    assert user_created["after"]["email"] == new_user["email"]
    assert new_user["password"] not in str(page)
    assert company_updated["before"] == {"critical_assets": []}
    assert company_updated["after"] == {"critical_assets": ["db-prod-01"]}
    assert datetime.fromisoformat(user_created["at"]) >= datetime.fromisoformat(company_updated["at"])


async def test_signing_out_shows_in_the_msp_audit_log(stack: Stack) -> None:
    admin = await stack.user(Role.msp_admin, [])
    technician = await stack.user(Role.technician, [(await stack.company()).id])
    response = await stack.http.post(
        f"{stack.url}/api/auth/logout", headers=bearer(technician["access_token"])
    )
    assert response.status_code == 204, response.text
    page = await get_audit(stack, admin, actor=technician["id"], action="auth.logout")
    assert [(e["company_id"], e["object_type"]) for e in page["items"]] == [(None, "auth_session")]


async def test_signing_in_shows_in_the_msp_audit_log(stack: Stack) -> None:
    admin = await stack.user(Role.msp_admin, [])
    technician = await stack.user(Role.technician, [(await stack.company()).id])
    signed_in = await login(stack, technician["email"], technician["password"], device())
    assert signed_in.status_code == 200, signed_in.text
    page = await get_audit(stack, admin, actor=technician["id"])
    assert [e for e in page["items"] if e["action"].startswith("auth.login")]


async def test_every_filter_narrows_the_log_and_pages_follow_newest_first(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.msp_admin, [])
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    alice, bob = unique("alice"), unique("bob")
    base = {"company_id": acme.id}
    ids = await add_entries(
        stack,
        {**base, "actor": alice, "action": "incident.approve", "object_id": "inc1", "at": t0},
        {**base, "actor": alice, "action": "incident.assign", "object_id": "inc1", "at": t0 + timedelta(1)},
        {**base, "actor": bob, "action": "incident.approve", "object_id": "inc2", "at": t0 + timedelta(2)},
        {
            **base,
            "actor": SYSTEM_ACTOR,
            "action": "runbook.run",
            "object_type": "runbook",
            "at": t0 + timedelta(3),
        },
        {**base, "actor": bob, "action": "incident.escalate", "object_id": "inc2", "at": t0 + timedelta(4)},
    )

    async def found(**params: Any) -> list[str]:
        page = await get_audit(stack, admin, company_id=acme.id, **params)
        assert page["total"] == len(page["items"])
        return [e["id"] for e in page["items"]]

    newest_first = ids[::-1]
    assert await found() == newest_first
    assert await found(actor=alice) == [ids[1], ids[0]]
    assert await found(actor=SYSTEM_ACTOR) == [ids[3]]
    assert await found(action="incident.approve") == [ids[2], ids[0]]
    assert await found(object_type="runbook") == [ids[3]]
    assert await found(object_id="inc2") == [ids[4], ids[2]]
    assert await found(actor=bob, action="incident.approve") == [ids[2]]
    assert await found(since=(t0 + timedelta(1)).isoformat(), until=(t0 + timedelta(3)).isoformat()) == [
        ids[3],
        ids[2],
        ids[1],
    ]
    # The same instant written with another offset is the same instant.
    assert await found(since="2030-01-05T01:00:00+01:00") == [ids[4]]
    assert await found(actor=unique("nobody")) == []

    pages = [
        await get_audit(stack, admin, company_id=acme.id, limit=2, offset=offset) for offset in (0, 2, 4, 6)
    ]
    assert [[e["id"] for e in p["items"]] for p in pages] == [
        newest_first[:2],
        newest_first[2:4],
        [ids[0]],
        [],
    ]
    assert {(p["total"], p["limit"]) for p in pages} == {(5, 2)}
    assert [p["offset"] for p in pages] == [0, 2, 4, 6]


BAD_FILTERS = [
    {"since": "2030-01-02T00:00:00Z", "until": "2030-01-01T00:00:00Z"},
    {"since": "2030-01-01T00:00:00"},  # no offset: which timezone was meant?
    {"until": "yesterday"},
    {"until": "1700000000"},  # a Unix time is not the ISO 8601 the schema promises
    {"since": "0001-01-01T00:00:00+01:00"},  # before year 1 once in UTC
    {"actor": "a\x00b"},  # PostgreSQL text cannot hold NUL
    {"company_id": "x" * 41},
]
BAD_PAGES = [{"limit": 0}, {"limit": 501}, {"offset": -1}]


async def test_bad_filters_are_refused_with_422_and_the_reason(stack: Stack) -> None:
    admin = await stack.user(Role.msp_admin, [])
    asked = [("/api/audit", p) for p in BAD_FILTERS + BAD_PAGES] + [
        ("/api/audit.csv", p) for p in BAD_FILTERS
    ]
    for path, params in asked:
        response = await stack.http.get(
            f"{stack.url}{path}", params=params, headers=bearer(admin["access_token"])
        )
        assert response.status_code == 422, (path, params, response.text)
        [problem] = response.json()["detail"]
        assert problem["loc"][0] == "query" and problem["msg"], (params, problem)


async def test_company_admin_reads_only_their_companies_entries(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    acme_admin = await stack.user(Role.company_admin, [acme.id])
    action = unique("probe")
    await add_entries(
        stack,
        {"actor": SYSTEM_ACTOR, "action": action, "company_id": acme.id},
        {"actor": SYSTEM_ACTOR, "action": action, "company_id": globex.id},
        {"actor": SYSTEM_ACTOR, "action": action, "company_id": None},
    )
    mine = await get_audit(stack, acme_admin, action=action)
    assert [e["company_id"] for e in mine["items"]] == [acme.id] and mine["total"] == 1
    everything = await get_audit(stack, acme_admin, limit=500)
    assert {e["company_id"] for e in everything["items"]} == {acme.id}

    # Another tenant's company is simply empty, neither 403 nor 404: its existence does not leak.
    theirs = await get_audit(stack, acme_admin, company_id=globex.id)
    assert theirs == {"items": [], "total": 0, "limit": 50, "offset": 0}
    exported = await stack.http.get(
        f"{stack.url}/api/audit.csv",
        params={"company_id": globex.id},
        headers=bearer(acme_admin["access_token"]),
    )
    assert exported.status_code == 200
    assert list(csv.reader(io.StringIO(exported.text))) == [list(CSV_COLUMNS)]

    msp = await stack.user(Role.msp_admin, [])
    assert (await get_audit(stack, msp, action=action))["total"] == 3


async def test_technicians_and_strangers_cannot_read_the_audit_log(stack: Stack) -> None:
    acme = await stack.company("Acme")
    technician = await stack.user(Role.technician, [acme.id])
    for path in ("/api/audit", "/api/audit.csv"):
        refused = await stack.http.get(f"{stack.url}{path}", headers=bearer(technician["access_token"]))
        assert refused.status_code == 403, refused.text
        assert "audit:read" in refused.json()["detail"]
        anonymous = await stack.http.get(f"{stack.url}{path}")
        assert anonymous.status_code == 401, anonymous.text


async def test_csv_export_has_a_header_and_defuses_spreadsheet_formulas(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    t0 = datetime(2031, 3, 1, tzinfo=UTC)
    ids = await add_entries(
        stack,
        {
            "actor": '=HYPERLINK("http://evil")',
            "action": "+cmd|' /C calc'!A0",
            "company_id": acme.id,
            "object_type": "-2+3",
            "object_id": "@SUM(A1:A9)",
            "before": {"name": "=1+1"},
            "after": {"name": 'Plain, with "quotes"\nand a newline'},
            "at": t0,
        },
        {"actor": SYSTEM_ACTOR, "action": "runbook.run", "company_id": acme.id, "at": t0 + timedelta(1)},
    )
    response = await stack.http.get(
        f"{stack.url}/api/audit.csv", params={"company_id": acme.id}, headers=bearer(admin["access_token"])
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert re.fullmatch(r'attachment; filename="audit-\w+\.csv"', response.headers["content-disposition"])
    header, *rows = list(csv.reader(io.StringIO(response.text)))
    assert header == list(CSV_COLUMNS)
    assert [row[0] for row in rows] == [ids[1], ids[0]]
    newest, oldest = (dict(zip(header, row, strict=True)) for row in rows)
    assert newest["actor"] == SYSTEM_ACTOR and newest["before"] == "" and newest["company_id"] == acme.id
    assert datetime.fromisoformat(newest["at"]) == t0 + timedelta(1)
    assert oldest["actor"] == '\'=HYPERLINK("http://evil")'
    assert oldest["action"] == "'+cmd|' /C calc'!A0"
    assert oldest["object_type"] == "'-2+3"
    assert oldest["object_id"] == "'@SUM(A1:A9)"
    assert oldest["before"] == '{"name": "=1+1"}'  # starts with "{": nothing to defuse
    assert oldest["after"] == '{"name": "Plain, with \\"quotes\\"\\nand a newline"}'

    filtered = await stack.http.get(
        f"{stack.url}/api/audit.csv",
        params={"company_id": acme.id, "actor": SYSTEM_ACTOR},
        headers=bearer(admin["access_token"]),
    )
    assert [row[0] for row in csv.reader(io.StringIO(filtered.text))] == ["id", ids[1]]


async def test_the_database_refuses_to_change_or_remove_audit_entries(stack: Stack) -> None:
    acme = await stack.company("Acme")
    [entry_id] = await add_entries(stack, {"actor": SYSTEM_ACTOR, "action": "probe", "company_id": acme.id})
    for statement in (
        "UPDATE audit_log SET actor = 'someone else' WHERE id = :id",
        "DELETE FROM audit_log WHERE id = :id",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        async with stack.services.sessions() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(text(statement), {"id": entry_id})
    async with stack.services.sessions() as session:
        kept = await session.get(AuditLog, entry_id)
    assert kept is not None and kept.actor == SYSTEM_ACTOR


# `update(AuditLog)`, `delete(AuditLog)`, `session.delete(<an audit entry>)`, or SQL text naming the table.
AUDIT_REWRITES = re.compile(
    r"(?:update|delete)\(\s*AuditLog\b"
    r"|(?:UPDATE|DELETE\s+FROM|TRUNCATE)(?:\s+TABLE)?\s+\"?audit_log\b"
    r"|\.delete\(\s*(?:entry|audit\w*)\b",
    re.IGNORECASE,
)


def test_no_application_code_updates_or_deletes_audit_entries() -> None:
    sources = [
        path
        for folder in APPLICATION_CODE
        for path in (REPO / folder).rglob("*.py")
        if "migrations" not in path.relative_to(REPO).parts
    ]
    assert len(sources) > 20, "the scan found too few files to mean anything"
    offenders = [
        f"{path.relative_to(REPO)}: {match.group(0)}"
        for path in sources
        for match in AUDIT_REWRITES.finditer(path.read_text())
    ]
    assert offenders == []
    # The scan itself would catch each way of rewriting the log.
    for rewrite in (
        "await session.execute(update(AuditLog).values(actor='x'))",
        "sa.delete( AuditLog ).where(...)",
        'text("DELETE FROM audit_log WHERE id = :id")',
        "'update audit_log set actor = 1'",
        'op.execute("TRUNCATE TABLE audit_log")',
        "await session.delete(entry)",
    ):
        assert AUDIT_REWRITES.search(rewrite), rewrite


async def test_csv_export_streams_every_matching_entry_past_one_batch(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.msp_admin, [])
    count = 2 * CSV_BATCH + 7
    await add_entries(
        stack, *({"actor": SYSTEM_ACTOR, "action": "bulk", "company_id": acme.id} for _ in range(count))
    )
    response = await stack.http.get(
        f"{stack.url}/api/audit.csv", params={"company_id": acme.id}, headers=bearer(admin["access_token"])
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    assert len(rows) == 1 + count and len({row[0] for row in rows[1:]}) == count
