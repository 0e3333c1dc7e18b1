"""GET /api/incidents filters and cursor, GET /api/incidents/{id}/timeline, POST /api/incidents/{id}/notes."""

from __future__ import annotations

from sqlalchemy import select

from core.accounts.roles import Role
from core.db.models import Event
from tests.api.test_incident_access import bearer, list_incidents, open_incident
from tests.support.stack import Stack, eventually


async def test_a_note_is_in_the_timeline_and_on_the_event_stream(stack: Stack) -> None:
    acme, globex = await stack.company("Acme"), await stack.company("Globex")
    incident_id = await open_incident(stack, acme)
    tech = await stack.user(Role.technician, [acme.id])
    stranger = await stack.user(Role.technician, [globex.id])
    url = f"{stack.url}/api/incidents/{incident_id}"
    posted = await stack.http.post(f"{url}/notes", headers=bearer(tech), json={"text": "rebooting the db"})
    assert posted.status_code == 201, posted.text
    refused = await stack.http.post(f"{url}/notes", headers=bearer(stranger), json={"text": "x"})
    assert refused.status_code == 404
    timeline = await eventually(
        lambda: stack.http.get(f"{url}/timeline", headers=bearer(tech)),
        lambda r: any(e["action"] == "incident.opened" for e in r.json()),
    )
    entries = timeline.json()
    kinds = [e["kind"] for e in entries]
    assert "alert" in kinds and "note" in kinds
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    note = next(e for e in entries if e["kind"] == "note")
    assert note["actor"] == tech["id"] and note["data"]["after"] == {"text": "rebooting the db"}
    async with stack.services.sessions() as session:
        types = (await session.execute(select(Event.type).where(Event.incident_id == incident_id))).scalars()
        assert "note.added" in set(types)


async def test_text_search_sort_and_cursor_pages_cover_each_incident_once(stack: Stack) -> None:
    acme = await stack.company()
    ids = [
        await open_incident(stack, acme, asset_name=f"web-{n:02}", message=f"needle-{n}") for n in range(3)
    ]
    user = await stack.user(Role.technician, [acme.id])
    found = await list_incidents(stack, user, q="NEEDLE-1")
    assert [i["id"] for i in found.json()["items"]] == [ids[1]]
    by_asset = await list_incidents(stack, user, q="web-02")
    assert [i["id"] for i in by_asset.json()["items"]] == [ids[2]]
    assert (await list_incidents(stack, user, assignee="nobody")).json()["items"] == []
    for sort in ("priority", "created", "updated"):
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 1, "sort": sort} | ({"cursor": cursor} if cursor else {})
            page = (await list_incidents(stack, user, **params)).json()
            seen += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert sorted(seen) == sorted(ids), sort
    bad = await list_incidents(stack, user, cursor="garbage")
    assert bad.status_code == 422
