"""Sign-in, and who may see which incidents: the MSP sees every company, everyone else only their own."""

from __future__ import annotations

import uuid
from importlib.metadata import version
from typing import Any

import httpx

from core.accounts.roles import Role
from tests.support.stack import Stack, TenantCreds, alert_body, eventually
from workflows.types import CorrelationPolicy


def bearer(user: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {user['access_token']}"}


async def open_incident(stack: Stack, creds: TenantCreds, **overrides: Any) -> str:
    """Posts one alert and waits until its incident is listed in the database."""
    incident_id = await stack.incident_of(await stack.post_alert(creds, alert_body(**overrides)))
    await eventually(lambda: stack.incidents(creds.id), lambda rows: incident_id in {i.id for i in rows})
    return incident_id


async def list_incidents(stack: Stack, user: dict[str, str], **params: Any) -> httpx.Response:
    return await stack.http.get(f"{stack.url}/api/incidents", headers=bearer(user), params=params)


def ids(page: httpx.Response) -> set[str]:
    assert page.status_code == 200, page.text
    return {item["id"] for item in page.json()["items"]}


# --- sign-in ---------------------------------------------------------------------------------------------


async def test_login_with_the_right_password_returns_access_and_refresh_tokens(stack: Stack) -> None:
    acme = await stack.company()
    user = await stack.user(Role.technician, [acme.id])
    response = await stack.http.post(
        f"{stack.url}/api/auth/login", json={"email": user["email"].upper(), "password": user["password"]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["access_token"] and body["refresh_token"] and body["access_token"] != body["refresh_token"]
    assert body["token_type"] == "bearer"
    assert body["user"]["email"] == user["email"] and body["user"]["role"] == "technician"
    assert "password" not in str(body["user"]).lower()


async def test_unknown_email_and_wrong_password_get_the_same_401(stack: Stack) -> None:
    acme = await stack.company()
    user = await stack.user(Role.technician, [acme.id])
    wrong_password = await stack.http.post(
        f"{stack.url}/api/auth/login", json={"email": user["email"], "password": "not the password"}
    )
    unknown_email = await stack.http.post(
        f"{stack.url}/api/auth/login",
        json={"email": f"nobody-{uuid.uuid4().hex}@example.com", "password": user["password"]},
    )
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json() == {"detail": "email or password is wrong"}


async def test_incidents_without_a_token_are_refused_with_401(stack: Stack) -> None:
    response = await stack.http.get(f"{stack.url}/api/incidents")
    assert response.status_code == 401
    assert "missing bearer access token" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_incidents_with_a_garbage_token_are_refused_with_401(stack: Stack) -> None:
    response = await stack.http.get(
        f"{stack.url}/api/incidents", headers={"Authorization": "Bearer not.a.jwt"}
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "token invalid"


async def test_refresh_token_cannot_be_used_as_an_access_token(stack: Stack) -> None:
    acme = await stack.company()
    user = await stack.user(Role.msp_admin, [])
    login = await stack.http.post(
        f"{stack.url}/api/auth/login", json={"email": user["email"], "password": user["password"]}
    )
    refresh_token = login.json()["refresh_token"]
    response = await stack.http.get(
        f"{stack.url}/api/incidents", headers={"Authorization": f"Bearer {refresh_token}"}
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "not an access token"
    detail = await stack.http.get(
        f"{stack.url}/api/incidents/incident-{acme.id}-x-1",
        headers={"Authorization": f"Bearer {refresh_token}"},
    )
    assert detail.status_code == 401


# --- tenant scoping --------------------------------------------------------------------------------------


async def test_msp_admin_sees_incidents_of_every_company(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    acme_incident, globex_incident = await open_incident(stack, acme), await open_incident(stack, globex)
    admin = await stack.user(Role.msp_admin, [])
    assert {acme_incident, globex_incident} <= ids(await list_incidents(stack, admin, limit=500))
    assert ids(await list_incidents(stack, admin, company_id=acme.id)) == {acme_incident}
    assert ids(await list_incidents(stack, admin, company_id=globex.id)) == {globex_incident}
    for incident_id in (acme_incident, globex_incident):
        detail = await stack.http.get(f"{stack.url}/api/incidents/{incident_id}", headers=bearer(admin))
        assert detail.status_code == 200, detail.text


async def test_company_users_see_only_their_companys_incidents(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    acme_incident = await open_incident(stack, acme)
    await open_incident(stack, globex)
    for role in (Role.company_admin, Role.technician):
        user = await stack.user(role, [acme.id])
        page = await list_incidents(stack, user, limit=500)
        assert ids(page) == {acme_incident}, role
        assert page.json()["total"] == 1
        assert {item["company_id"] for item in page.json()["items"]} == {acme.id}
        # Asking for another company by id narrows nothing open: the scope still applies.
        assert ids(await list_incidents(stack, user, company_id=globex.id)) == set(), role
        assert (await list_incidents(stack, user, company_id=globex.id)).json()["total"] == 0


async def test_company_user_gets_404_for_another_companys_incident(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    await open_incident(stack, acme)
    globex_incident = await open_incident(stack, globex)
    for role in (Role.company_admin, Role.technician):
        user = await stack.user(role, [acme.id])
        response = await stack.http.get(f"{stack.url}/api/incidents/{globex_incident}", headers=bearer(user))
        assert response.status_code == 404, role
        assert response.json()["detail"] == f"no incident {globex_incident}"
        # Same answer as for an id that does not exist, so ids of other tenants cannot be probed.
        missing = await stack.http.get(f"{stack.url}/api/incidents/incident-nope", headers=bearer(user))
        assert missing.status_code == 404


async def test_user_of_two_companies_sees_both(stack: Stack) -> None:
    acme, globex, initech = (
        await stack.company("Acme"),
        await stack.company("Globex"),
        await stack.company("Initech"),
    )
    acme_incident, globex_incident = await open_incident(stack, acme), await open_incident(stack, globex)
    await open_incident(stack, initech)
    user = await stack.user(Role.technician, [acme.id, globex.id])
    assert ids(await list_incidents(stack, user, limit=500)) == {acme_incident, globex_incident}


# --- filters and pages -----------------------------------------------------------------------------------


async def test_severity_filter_returns_only_that_severity(stack: Stack) -> None:
    acme = await stack.company()
    low = await open_incident(stack, acme, asset_name="web-1", severity="low")
    critical = await open_incident(stack, acme, asset_name="web-2", severity="critical")
    admin = await stack.user(Role.company_admin, [acme.id])
    assert ids(await list_incidents(stack, admin, severity="low")) == {low}
    assert ids(await list_incidents(stack, admin, severity="critical")) == {critical}
    assert ids(await list_incidents(stack, admin, severity="medium")) == set()
    assert (await list_incidents(stack, admin, severity="urgent")).status_code == 422


async def test_status_filter_and_pending_incidents_hidden_by_default(stack: Stack) -> None:
    # With min_alerts=2 a single alert makes a pending incident: not listed unless asked for.
    quiet = await stack.company("Quiet", policy=CorrelationPolicy(min_alerts=2))
    pending = await open_incident(stack, quiet)
    loud = await stack.company("Loud")
    new = await open_incident(stack, loud)
    admin = await stack.user(Role.company_admin, [quiet.id, loud.id])
    assert ids(await list_incidents(stack, admin)) == {new}
    assert ids(await list_incidents(stack, admin, status="pending")) == {pending}
    assert ids(await list_incidents(stack, admin, status="new")) == {new}
    assert ids(await list_incidents(stack, admin, status="resolved")) == set()
    assert (await list_incidents(stack, admin, status="weird")).status_code == 422


async def test_company_filter_narrows_the_msp_admins_list(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    acme_incident = await open_incident(stack, acme, severity="critical")
    await open_incident(stack, globex, severity="critical")
    admin = await stack.user(Role.msp_admin, [])
    page = await list_incidents(stack, admin, company_id=acme.id, severity="critical")
    assert ids(page) == {acme_incident}
    assert page.json()["total"] == 1


async def test_pages_cover_every_incident_once_and_report_the_total(stack: Stack) -> None:
    acme = await stack.company()
    opened = {await open_incident(stack, acme, asset_name=f"web-{n}") for n in range(5)}
    admin = await stack.user(Role.company_admin, [acme.id])
    pages = [await list_incidents(stack, admin, limit=2, offset=offset) for offset in (0, 2, 4, 6)]
    assert [p.json()["total"] for p in pages] == [5, 5, 5, 5]
    assert [(p.json()["limit"], p.json()["offset"]) for p in pages] == [(2, 0), (2, 2), (2, 4), (2, 6)]
    assert [len(p.json()["items"]) for p in pages] == [2, 2, 1, 0]
    seen = [item["id"] for p in pages for item in p.json()["items"]]
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == opened
    newest_first = [item["updated_at"] for p in pages for item in p.json()["items"]]
    assert newest_first == sorted(newest_first, reverse=True)


async def test_out_of_range_page_parameters_are_rejected_with_422(stack: Stack) -> None:
    admin = await stack.user(Role.msp_admin, [])
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}):
        assert (await list_incidents(stack, admin, **params)).status_code == 422, params


# --- detail ----------------------------------------------------------------------------------------------


async def test_incident_detail_has_its_alerts_key_workflow_and_temporal_link(stack: Stack) -> None:
    acme = await stack.company()
    first = await stack.post_alert(acme, alert_body(message="Disk /var at 95%"))
    incident_id = await stack.incident_of(first)
    second = await stack.post_alert(acme, alert_body(message="Disk /var at 97%"))
    assert await stack.incident_of(second) == incident_id
    await eventually(lambda: stack.incidents(acme.id), lambda rows: rows and rows[0].alert_count == 2)
    technician = await stack.user(Role.technician, [acme.id])

    response = await stack.http.get(f"{stack.url}/api/incidents/{incident_id}", headers=bearer(technician))
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["id"] == detail["workflow_id"] == incident_id
    assert detail["company_id"] == acme.id
    assert detail["aggregation_key"] == "db-prod-01|disk_space_critical"
    assert detail["alert_count"] == 2
    assert {a["id"] for a in detail["alerts"]} == {first.json()["alert_id"], second.json()["alert_id"]}
    assert {a["message"] for a in detail["alerts"]} == {"Disk /var at 95%", "Disk /var at 97%"}
    assert incident_id in detail["temporal_ui_url"]
    assert detail["temporal_ui_url"].startswith(stack.settings.temporal_ui_url)
    assert f"/namespaces/{stack.settings.temporal_namespace}/workflows/" in detail["temporal_ui_url"]


# --- liveness --------------------------------------------------------------------------------------------


async def test_agent_ping_answers_ok_with_uptime_and_version_without_signing_in(stack: Stack) -> None:
    response = await stack.http.get(f"{stack.url}/api/agent/ping")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert isinstance(body["uptime_s"], int) and body["uptime_s"] >= 0
    assert body["version"] == version("alert-whisperer")
    assert body["task_queue"] == stack.settings.task_queue
