"""Recovery over the real stack: incidents resolve themselves, wait for confirmation, or hold on flapping."""

from __future__ import annotations

from typing import Any

from core.accounts.roles import Role
from tests.support.helpers import record_history
from tests.support.signin import bearer
from tests.support.stack import Stack, TenantCreds, alert_body, eventually
from workflows.incident.workflow import IncidentWorkflow
from workflows.types import AggregationMode, CorrelationPolicy, RecoveryMode


async def incident(stack: Stack, token: str, incident_id: str) -> dict[str, Any]:
    """The incident as the API shows it; empty until the workflow's first projection is written."""
    response = await stack.http.get(f"{stack.url}/api/incidents/{incident_id}", headers=bearer(token))
    assert response.status_code in (200, 404), response.text
    return response.json() if response.status_code == 200 else {}


async def fire(stack: Stack, creds: TenantCreds, **overrides: Any) -> dict[str, Any]:
    """The alert's answer, with the incident it joined (waited for when the answer was 202 `queued`)."""
    return await stack.settled(await stack.post_alert(creds, alert_body(**overrides)))


async def recover(stack: Stack, creds: TenantCreds, **overrides: Any) -> dict[str, Any]:
    return await fire(stack, creds, status="resolved", **overrides)


async def until_status(stack: Stack, token: str, incident_id: str, status: str) -> dict[str, Any]:
    return await eventually(
        lambda: incident(stack, token, incident_id), lambda i: i.get("status") == status, timeout=30
    )


async def test_incident_resolves_itself_when_its_only_series_recovers(stack: Stack) -> None:
    acme = await stack.company()
    admin = await stack.user(Role.msp_admin, [])
    opened = await fire(stack, acme)
    recovery = await recover(stack, acme)
    assert recovery["incident_id"] == opened["incident_id"]
    assert recovery["fingerprint"] == opened["fingerprint"]

    resolved = await until_status(stack, admin["access_token"], opened["incident_id"], "resolved")
    assert resolved["resolution"] == "auto_resolved"
    assert resolved["resolved_at"] is not None and resolved["resolved_by"] is None
    assert resolved["recovered_series"] == [opened["fingerprint"]]
    handle = stack.client.get_workflow_handle_for(IncidentWorkflow.run, opened["incident_id"])
    assert (await handle.result()).resolution == "auto_resolved"
    await record_history(handle, "incident_auto_resolved")

    # The key's next alert opens a new incident instead of joining the resolved one.
    again = await fire(stack, acme)
    assert again["incident_id"] != opened["incident_id"]
    assert again["correlated"] is False


async def test_incident_stays_open_until_every_series_recovers(stack: Stack) -> None:
    acme = await stack.company(policy=CorrelationPolicy(aggregation_key=AggregationMode.asset))
    admin = await stack.user(Role.msp_admin, [])
    disk = await fire(stack, acme, signature="disk_space_critical")
    cpu = await fire(stack, acme, signature="cpu_high")
    assert disk["incident_id"] == cpu["incident_id"]
    await recover(stack, acme, signature="disk_space_critical")
    half = await eventually(
        lambda: incident(stack, admin["access_token"], disk["incident_id"]),
        lambda i: i.get("recovered_series") == [disk["fingerprint"]],
    )
    assert half["status"] == "new" and half["resolution"] is None

    await recover(stack, acme, signature="cpu_high")
    resolved = await until_status(stack, admin["access_token"], disk["incident_id"], "resolved")
    assert sorted(resolved["recovered_series"]) == sorted([disk["fingerprint"], cpu["fingerprint"]])


async def test_recovery_with_no_open_incident_is_stored_and_changes_nothing(stack: Stack) -> None:
    acme = await stack.company()
    answer = await recover(stack, acme, asset_name="never-fired-01")
    assert answer["incident_id"] is None and answer["disposition"] == "no_open_incident"
    assert await stack.incidents(acme.id) == []
    [alert] = await stack.alerts(acme.id)
    assert alert.status == "resolved" and alert.disposition == "no_open_incident"


async def test_confirm_policy_waits_for_a_technician(stack: Stack) -> None:
    acme = await stack.company(policy=CorrelationPolicy(on_recovery=RecoveryMode.confirm))
    technician = await stack.user(Role.technician, [acme.id])
    token = technician["access_token"]
    opened = await fire(stack, acme)
    await recover(stack, acme)
    waiting = await eventually(
        lambda: incident(stack, token, opened["incident_id"]),
        lambda i: i.get("awaiting_confirmation") is True,
    )
    assert waiting["status"] == "new" and waiting["resolution"] is None

    # It fires again before anyone confirmed: no longer waiting, and the alert joins the same incident.
    refired = await fire(stack, acme)
    assert refired["incident_id"] == opened["incident_id"]
    await eventually(
        lambda: incident(stack, token, opened["incident_id"]),
        lambda i: i.get("awaiting_confirmation") is False,
    )
    await recover(stack, acme)
    await eventually(
        lambda: incident(stack, token, opened["incident_id"]),
        lambda i: i.get("awaiting_confirmation") is True,
    )

    url = f"{stack.url}/api/incidents/{opened['incident_id']}/resolve"
    response = await stack.http.post(url, json={"note": "checked the disk"}, headers=bearer(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "resolved" and body["resolution"] == "confirmed"
    assert body["resolved_by"] == technician["id"]

    again = await stack.http.post(url, headers=bearer(token))
    assert again.status_code == 409 and "resolved" in again.json()["detail"]


async def test_technician_resolves_an_open_incident_by_hand(stack: Stack) -> None:
    acme = await stack.company()
    technician = await stack.user(Role.technician, [acme.id])
    opened = await fire(stack, acme)
    await eventually(lambda: stack.incidents(acme.id), lambda rows: len(rows) == 1)
    url = f"{stack.url}/api/incidents/{opened['incident_id']}/resolve"
    response = await stack.http.post(url, headers=bearer(technician["access_token"]))
    assert response.status_code == 200, response.text
    assert response.json()["resolution"] == "resolved_manually"
    later = await fire(stack, acme)
    assert later["incident_id"] != opened["incident_id"]


async def test_other_companies_cannot_resolve(stack: Stack) -> None:
    acme, globex = await stack.company(), await stack.company("Globex")
    outsider = await stack.user(Role.company_admin, [globex.id])
    opened = await fire(stack, acme)
    await eventually(lambda: stack.incidents(acme.id), lambda rows: len(rows) == 1)
    response = await stack.http.post(
        f"{stack.url}/api/incidents/{opened['incident_id']}/resolve",
        headers=bearer(outsider["access_token"]),
    )
    assert response.status_code == 404
    [row] = await stack.incidents(acme.id)
    assert row.status == "new"


async def test_flapping_series_is_held_on_one_incident(stack: Stack) -> None:
    acme = await stack.company(policy=CorrelationPolicy(flap_threshold=2, flap_window_minutes=60))
    admin = await stack.user(Role.msp_admin, [])
    token = admin["access_token"]
    incidents = []
    for _ in range(2):  # two quick cycles: each opens and resolves its own incident
        opened = await fire(stack, acme)
        await recover(stack, acme)
        await until_status(stack, token, opened["incident_id"], "resolved")
        # Resolved shows before the workflow ends; an alert routed to it meanwhile is forwarded to a new
        # incident after the webhook has named this one (tests/e2e/test_forwarding.py).
        await stack.client.get_workflow_handle(opened["incident_id"]).result()
        incidents.append(opened["incident_id"])
    third = await fire(stack, acme)
    assert third["incident_id"] not in incidents
    await recover(stack, acme)  # the third recovery in the window: more than 2, so it is flapping
    held = await eventually(
        lambda: incident(stack, token, third["incident_id"]), lambda i: bool(i.get("flapping_series"))
    )
    assert held["status"] == "new" and held["flapping_series"] == [third["fingerprint"]]

    for _ in range(2):  # further flaps join the held incident instead of opening new ones
        refire = await fire(stack, acme)
        assert refire["incident_id"] == third["incident_id"]
        await recover(stack, acme)
    assert len(await stack.incidents(acme.id)) == 3
    final = await eventually(
        lambda: incident(stack, token, third["incident_id"]), lambda i: i.get("recovery_count") == 3
    )
    assert final["status"] == "new" and final["resolution"] is None
