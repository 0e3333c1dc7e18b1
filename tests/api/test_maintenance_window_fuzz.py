"""Whatever window an administrator sends, it is stored or refused with a reason, and whatever windows a
company has, its alerts are still accepted.

The OpenAPI fuzzer only reaches these routes with random company ids (404); here the company is real,
so bodies get as far as the schedule checks, and stored windows as far as the intake's matcher."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from core.accounts.roles import Role
from tests.support.fuzzing import FUZZ, json_scalars
from tests.support.signin import bearer
from tests.support.stack import Stack, TenantCreds, alert_body

clock = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 25), st.integers(0, 61)) | st.text(
    max_size=6
)
days = st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun", "Mon", "xyz"]), max_size=8)
instant = (
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.timezones() | st.none()
    ).map(lambda d: d.isoformat())
    | st.just(datetime.now(UTC).isoformat())
    | st.just((datetime.now(UTC) + timedelta(hours=1)).isoformat())
    | st.integers()
    | st.text(max_size=30)
)
glob = st.sampled_from(["*", "db-*", "DB-PROD-0?", "[a-c]*", "[!x]*", "*[", "**", "web-[0-9]"]) | st.text(
    max_size=40
)
window_fields: dict[str, st.SearchStrategy[Any]] = {
    "name": st.text(max_size=210),
    "kind": st.sampled_from(["once", "weekly", "cron", "monthly"]),
    "timezone": st.sampled_from(["UTC", "America/New_York", "Asia/Kathmandu", "Pacific/Chatham", "utc"])
    | st.text(max_size=70),
    "starts_at": st.none() | instant,
    "ends_at": st.none() | instant,
    "weekly": st.lists(
        st.fixed_dictionaries({"days": days, "start": clock, "end": clock}) | json_scalars, max_size=3
    ),
    "cron": st.none()
    | st.sampled_from(["* * * * *", "0 2 * * sun", "@daily", "0 0 30 2 *", "*/0 * * * *", "0 0 * * 1#5"])
    | st.text(max_size=40),
    "duration_minutes": st.none() | st.integers(-5, 20_000) | st.floats(allow_nan=True),
    "match_assets": st.lists(glob, max_size=4),
    "match_signatures": st.lists(glob, max_size=4),
    "match_labels": st.dictionaries(st.text(max_size=10), st.text(max_size=10) | json_scalars, max_size=3),
    "enabled": st.booleans() | json_scalars,
}
any_fields = st.fixed_dictionaries({}, optional=window_fields)

# Windows that should be stored, so the matcher meets many real ones: all three kinds, any time zone.
text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(str.strip)
valid_clock = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
valid_days = st.lists(
    st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=1, max_size=7
)
scope = st.fixed_dictionaries(
    {},
    optional={
        "match_assets": st.lists(text, max_size=4),
        "match_signatures": st.lists(text, max_size=4),
        "match_labels": st.dictionaries(text, text, max_size=3),
        "timezone": st.sampled_from(["UTC", "Europe/Berlin", "America/St_Johns", "Australia/Lord_Howe"]),
        "enabled": st.booleans(),
    },
)


def once_from(offset_minutes: int, length_minutes: int) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(minutes=offset_minutes)
    end = start + timedelta(minutes=length_minutes)
    return {"kind": "once", "starts_at": start.isoformat(), "ends_at": end.isoformat()}


schedules = st.one_of(
    st.builds(once_from, st.integers(-600, 600), st.integers(1, 1200)),
    st.builds(
        lambda intervals: {"kind": "weekly", "weekly": intervals},
        st.lists(
            st.fixed_dictionaries({"days": valid_days, "start": valid_clock, "end": valid_clock}),
            min_size=1,
            max_size=3,
        ),
    ),
    st.builds(
        lambda cron, minutes: {"kind": "cron", "cron": cron, "duration_minutes": minutes},
        st.sampled_from(["* * * * *", "0 2 * * sun", "@daily", "*/5 9-17 * * mon-fri", "30 1 * * *"]),
        st.integers(1, 10_080),
    ),
)
valid = st.builds(
    lambda name, when, rest: {"name": name.strip() or "x", **when, **rest}, text, schedules, scope
)
# A valid window with one field swapped for anything at all.
any_one_field = st.sampled_from(sorted(window_fields)).flatmap(
    lambda name: window_fields[name].map(lambda value: {name: value})
)
one_field_off = st.builds(lambda body, wrong: {**body, **wrong}, valid, any_one_field)
bodies = st.one_of(valid, one_field_off, any_fields)
alerts = st.fixed_dictionaries(
    {
        "asset_name": st.sampled_from(["db-prod-01", "web-1", "Ünïcode-host"])
        | st.text(min_size=1, max_size=30),
        "signature": st.sampled_from(["disk_full", "x"]) | st.text(min_size=1, max_size=30),
        "labels": st.dictionaries(st.text(max_size=10), json_scalars, max_size=3),
    }
)


async def tenant_of(stack: Stack) -> tuple[TenantCreds, dict[str, str]]:
    """One company per stack, so per test: its windows pile up, so later alerts meet many windows at once."""

    async def build() -> tuple[TenantCreds, dict[str, str]]:
        acme = await stack.company()
        return acme, await stack.user(Role.company_admin, [acme.id])

    return await stack.once("maintenance-fuzz-tenant", build)


@settings(FUZZ, max_examples=80)
@given(body=bodies, alert=alerts)
async def test_any_window_is_stored_or_refused_and_alerts_are_still_accepted(
    stack: Stack, body: dict[str, Any], alert: dict[str, Any]
) -> None:
    acme, admin = await tenant_of(stack)
    created = await stack.http.post(
        f"{stack.url}/api/maintenance-windows",
        # As sent by any client, NaN included (httpx's own encoder refuses it).
        content=json.dumps({**body, "company_id": acme.id}),
        headers={**bearer(admin["access_token"]), "Content-Type": "application/json"},
    )
    assert created.status_code in (201, 422), (created.status_code, created.text, body)
    if created.status_code == 422:
        assert created.json()["detail"], body
    else:
        shown = await stack.http.get(
            f"{stack.url}/api/maintenance-windows/{created.json()['id']}",
            headers=bearer(admin["access_token"]),
        )
        assert shown.status_code == 200 and shown.json()["id"] == created.json()["id"]

    response = await stack.post_alert(acme, alert_body(**alert))
    assert response.status_code in (200, 202, 422), (response.status_code, response.text, alert)


@settings(FUZZ, max_examples=40)
@given(body=valid)
async def test_every_valid_window_is_stored_and_read_back_as_sent(stack: Stack, body: dict[str, Any]) -> None:
    acme, admin = await tenant_of(stack)
    created = await stack.http.post(
        f"{stack.url}/api/maintenance-windows",
        json={**body, "company_id": acme.id},
        headers=bearer(admin["access_token"]),
    )
    assert created.status_code == 201, (created.text, body)
    window = created.json()
    assert {k: window[k] for k in ("name", "kind", "match_assets", "match_signatures", "match_labels")} == {
        "name": body["name"].strip(),
        "kind": body["kind"],
        "match_assets": body.get("match_assets", []),
        "match_signatures": body.get("match_signatures", []),
        "match_labels": body.get("match_labels", {}),
    }
    shown = await stack.http.get(
        f"{stack.url}/api/maintenance-windows/{window['id']}", headers=bearer(admin["access_token"])
    )
    moving = ("active_now", "next_start")  # they follow the clock between the two calls
    assert {k: v for k, v in shown.json().items() if k not in moving} == {
        k: v for k, v in window.items() if k not in moving
    }
