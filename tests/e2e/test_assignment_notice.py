"""The technician on call hears of a new incident assigned to them, in the app, by email (a real SMTP
server, aiosmtpd) and on Slack (a webhook stand-in), through the whole stack over HTTP: the notice is
written with the incident and sent by the notification outbox's loop, not by a `notify` activity."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from core.accounts.roles import Role
from core.db.models import NotificationOutbox
from tests.support.notifications import Mailbox, SlackReceiver
from tests.support.signin import bearer
from tests.support.stack import Stack, alert_body, eventually
from workflows.policy import CompanyPolicy


async def test_the_on_call_assignee_is_told_in_the_app_by_email_and_on_slack(
    mailing_stack: Stack, mailbox: Mailbox, slack: SlackReceiver
) -> None:
    stack = mailing_stack
    creds = await stack.company(policy=CompanyPolicy(automation=False))  # intake only: nothing else to tell
    admin = await stack.user(Role.company_admin, [creds.id])
    tech = await stack.user(Role.technician, [creds.id])
    headers = bearer(admin["access_token"])
    slack_set = await stack.http.put(
        f"{stack.url}/api/companies/{creds.id}/slack", json={"webhook_url": slack.url}, headers=headers
    )
    assert slack_set.status_code == 200, slack_set.text
    around_the_clock = {
        "name": "Always",
        "rotation": "daily",
        "handoff_time": "00:00",
        "starts_on": "2020-01-01",
        "participants": [tech["id"]],
    }
    schedule = await stack.http.post(
        f"{stack.url}/api/schedules",
        json={"company_id": creds.id, "name": "On call", "layers": [around_the_clock]},
        headers=headers,
    )
    assert schedule.status_code == 201, schedule.text

    answer = await stack.post_alert(
        creds, alert_body(asset_name="db-7", signature="disk_full", severity="critical")
    )
    incident_id = await stack.incident_of(answer)

    # Critical: by default in the app, by email and on Slack.
    (email,) = await eventually(lambda: _now(mailbox.to(tech["email"])), bool, timeout=60)
    assert email["Subject"].startswith("[CRITICAL] Assigned to you:")
    (post,) = await eventually(lambda: _now(slack.posts), bool, timeout=60)
    assert "Assigned to you" in post["text"] and f"/incidents/{incident_id}" in post["text"]

    async def assignments() -> list[dict[str, Any]]:
        inbox = await stack.http.get(f"{stack.url}/api/notifications", headers=bearer(tech["access_token"]))
        assert inbox.status_code == 200, inbox.text
        return [n for n in inbox.json()["items"] if n["kind"] == "assignment"]

    # The outbox row is deleted just after the deliveries are marked: all three read sent by then.
    (told,) = await eventually(
        assignments, lambda found: len(found) == 1 and len(found[0]["deliveries"]) == 3, timeout=30
    )
    assert told["incident_id"] == incident_id
    assert {(d["channel"], d["status"]) for d in told["deliveries"]} == {
        ("in_app", "sent"),
        ("email", "sent"),
        ("slack", "sent"),
    }

    async def outboxed() -> list[NotificationOutbox]:
        async with stack.services.sessions() as session:
            rows = await session.execute(
                select(NotificationOutbox).where(col(NotificationOutbox.company_id) == creds.id)
            )
            return list(rows.scalars())

    await eventually(outboxed, lambda rows: rows == [], timeout=30)
    history = await stack.client.get_workflow_handle(incident_id).fetch_history()
    activities = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert "notify" not in activities
    assert len(mailbox.received) == 1 and len(slack.posts) == 1


async def _now(value: Any) -> Any:
    return value
