"""A user's own notifications over HTTP: listed with their deliveries and the unread count, marked read,
never another user's; preferences validated; a company's Slack webhook write-only, hooks.slack.com only
outside development and test."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from core.accounts.roles import Role
from core.db.models import AuditLog, Company
from core.notifications.dispatcher import Dispatcher
from core.notifications.slack_setting import webhook_url_of
from tests.support.notifications import notify_request
from tests.support.signin import bearer
from tests.support.stack import Stack
from workflows.notifications.types import NotifyResult
from workflows.types import Severity

SLACK_URL = "https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"


async def notify(stack: Stack, company_id: str, user_ids: list[str], **overrides: Any) -> NotifyResult:
    dispatcher = Dispatcher(stack.services.sessions, stack.settings, stack.services.box, retry_delays_s=())
    return await dispatcher.dispatch(notify_request(company_id, user_ids, **overrides))


async def get(stack: Stack, user: dict[str, str], path: str, **params: Any) -> httpx.Response:
    return await stack.http.get(f"{stack.url}{path}", params=params, headers=bearer(user["access_token"]))


async def send(
    stack: Stack, user: dict[str, str], method: str, path: str, body: Any = None
) -> httpx.Response:
    return await stack.http.request(
        method, f"{stack.url}{path}", json=body, headers=bearer(user["access_token"])
    )


async def test_own_notifications_are_listed_with_deliveries_and_marked_read(stack: Stack) -> None:
    acme = await stack.company("Acme")
    tech = await stack.user(Role.technician, [acme.id])
    other = await stack.user(Role.technician, [acme.id])
    await notify(stack, acme.id, [tech["id"], other["id"]], title="Disk full", severity=Severity.high)
    await notify(stack, acme.id, [tech["id"]], title="Approval needed", severity=Severity.low)

    listed = await get(stack, tech, "/api/notifications")
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["unread_count"] == 2
    assert [n["title"] for n in body["items"]] == ["Approval needed", "Disk full"]
    disk = body["items"][1]
    # No SMTP host in the test settings: the email is visibly skipped, with the reason.
    assert {(d["channel"], d["status"]) for d in disk["deliveries"]} == {
        ("in_app", "sent"),
        ("email", "skipped"),
    }
    assert "AW_SMTP_HOST" in next(d["last_error"] for d in disk["deliveries"] if d["channel"] == "email")
    assert "notification_key" not in disk and "user_id" not in disk

    read = await send(stack, tech, "POST", f"/api/notifications/{disk['id']}/read")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    unread = (await get(stack, tech, "/api/notifications", unread="true")).json()
    assert unread["unread_count"] == 1 and [n["title"] for n in unread["items"]] == ["Approval needed"]
    assert (await get(stack, tech, "/api/notifications", limit=1)).json()["items"][0][
        "title"
    ] == "Approval needed"

    # Someone else's notification does not exist for this user; their own count is untouched.
    others = (await get(stack, other, "/api/notifications")).json()
    assert others["unread_count"] == 1
    theirs = others["items"][0]["id"]
    assert (await send(stack, tech, "POST", f"/api/notifications/{theirs}/read")).status_code == 404
    assert (await send(stack, tech, "POST", "/api/notifications/ntf_nosuch/read")).status_code == 404
    assert (await get(stack, other, "/api/notifications")).json()["unread_count"] == 1

    everything = await send(stack, tech, "POST", "/api/notifications/read-all")
    assert everything.json() == {"marked": 1, "unread_count": 0}
    assert (await get(stack, tech, "/api/notifications")).json()["unread_count"] == 0
    assert (await get(stack, other, "/api/notifications")).json()["unread_count"] == 1
    assert (await stack.http.get(f"{stack.url}/api/notifications")).status_code == 401
    assert (await get(stack, tech, "/api/notifications", limit=0)).status_code == 422


async def test_preferences_default_round_trip_and_refuse_what_cannot_work(stack: Stack) -> None:
    acme = await stack.company("Acme")
    tech = await stack.user(Role.technician, [acme.id])
    path = "/api/users/me/notification-preferences"
    defaults = (await get(stack, tech, path)).json()
    assert defaults == {
        "channels": {
            "low": ["in_app"],
            "medium": ["in_app"],
            "high": ["in_app", "email"],
            "critical": ["in_app", "email", "slack"],
        },
        "quiet_hours": None,
        "email": None,
    }
    wanted = {
        "channels": {"critical": ["slack", "email"], "medium": ["email"]},
        "quiet_hours": {"start": "22:00", "end": "07:00", "timezone": "Europe/Berlin"},
        "email": "oncall@msp.example",
    }
    saved = await send(stack, tech, "PUT", path, wanted)
    assert saved.status_code == 200, saved.text
    assert saved.json()["channels"]["critical"] == ["in_app", "slack", "email"]
    assert saved.json()["channels"]["medium"] == ["in_app", "email"]
    assert (await get(stack, tech, path)).json() == saved.json()

    refused = [
        {"channels": {"critical": ["pager"]}},
        {"channels": {"urgent": ["email"]}},
        {"quiet_hours": {"start": "25:00", "end": "07:00"}},
        {"quiet_hours": {"start": "22:00", "end": "22:00"}},
        {"quiet_hours": {"start": "22:00", "end": "07:00", "timezone": "Nowhere/Land"}},
        {"email": "nobody"},
        {"channels": {}, "digest": True},
    ]
    for body in refused:
        response = await send(stack, tech, "PUT", path, body)
        assert response.status_code == 422, (body, response.text)
    assert (await get(stack, tech, path)).json() == saved.json()


async def slack_path(company_id: str) -> str:
    return f"/api/companies/{company_id}/slack"


async def test_the_slack_webhook_is_stored_encrypted_and_never_shown(stack: Stack) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.company_admin, [acme.id])
    path = await slack_path(acme.id)
    assert (await get(stack, admin, path)).json() == {"configured": False, "host": None}
    put = await send(stack, admin, "PUT", path, {"webhook_url": SLACK_URL})
    assert put.status_code == 200, put.text
    assert put.json() == {"configured": True, "host": "hooks.slack.com"}
    shown = await get(stack, admin, path)
    assert shown.json() == {"configured": True, "host": "hooks.slack.com"}

    async with stack.services.sessions() as session:
        company = await session.get(Company, acme.id)
        assert company is not None
        assert "XXXXXXXX" not in (company.slack_webhook_encrypted or "")
        assert webhook_url_of(company, stack.services.box) == SLACK_URL
        rows = await session.execute(select(AuditLog).where(col(AuditLog.company_id) == acme.id))
        audit = [(e.action, e.before, e.after) for e in rows.scalars()]
    assert (
        "company.slack.set",
        {"configured": False, "host": None},
        {"configured": True, "host": "hooks.slack.com", "replaced": False},
    ) in audit
    assert "XXXXXXXX" not in json.dumps(audit)
    assert "XXXXXXXX" not in put.text + shown.text

    assert (await send(stack, admin, "DELETE", path)).status_code == 204
    assert (await get(stack, admin, path)).json() == {"configured": False, "host": None}


async def test_slack_urls_any_http_in_test_only_hooks_slack_com_in_production(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    acme = await stack.company("Acme")
    admin = await stack.user(Role.msp_admin, [])
    path = await slack_path(acme.id)
    local = "http://127.0.0.1:9/services/T/B/x"
    assert (await send(stack, admin, "PUT", path, {"webhook_url": local})).json()["host"] == "127.0.0.1"
    for bad in (
        "ftp://hooks.slack.com/services/x",
        "not a url",
        "https://user:pw@hooks.slack.com/services/x",
    ):
        refused = await send(stack, admin, "PUT", path, {"webhook_url": bad})
        assert refused.status_code == 422, (bad, refused.text)
        assert "pw@" not in refused.text
    assert (await send(stack, admin, "PUT", path, {})).status_code == 422

    # Signed-in tokens stay valid: only the environment changes (model_copy does not re-validate).
    production = stack.settings.model_copy(update={"environment": "production"})
    monkeypatch.setattr(stack.services, "settings", production)
    for bad in (
        local,
        "http://hooks.slack.com/services/T/B/x",
        "https://hooks.slack.com.evil.example/services/T/B/x",
        "https://evil.example/?u=https://hooks.slack.com/",
        "https://hooks.slack.com:8443/services/T/B/x",
        "https://hooks.slack.com/",
    ):
        refused = await send(stack, admin, "PUT", path, {"webhook_url": bad})
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["detail"].startswith("webhook_url ")
    assert (await send(stack, admin, "PUT", path, {"webhook_url": SLACK_URL})).status_code == 200


async def test_technicians_and_other_tenants_cannot_see_or_set_the_slack_webhook(stack: Stack) -> None:
    acme, other = await stack.company("Acme"), await stack.company("Other")
    technician = await stack.user(Role.technician, [acme.id])
    outsider = await stack.user(Role.company_admin, [other.id])
    path = await slack_path(acme.id)
    body = {"webhook_url": SLACK_URL}
    assert (await send(stack, technician, "PUT", path, body)).status_code == 403
    assert (await get(stack, technician, path)).status_code == 403
    assert (await send(stack, outsider, "PUT", path, body)).status_code == 404
    assert (await get(stack, outsider, path)).status_code == 404
    assert (await send(stack, outsider, "DELETE", path)).status_code == 404
