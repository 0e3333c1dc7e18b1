"""What the API hands back is safe to show and to follow: redirects name no host taken from the request,
and alert text reaches readers without bidirectional control characters."""

from __future__ import annotations

import json

import pytest

from core.accounts.roles import Role
from tests.support.signin import bearer
from tests.support.stack import Stack, accepted, alert_body, eventually

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "inv-\u202efdp.exe" displays as "inv-exe.pdf"
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.mark.parametrize(
    ("path", "relative"),
    [
        ("/api/incidents/", "/api/incidents"),
        ("/api/webhooks/alerts/?api_key=k", "/api/webhooks/alerts?api_key=k"),
        ("/api/users/me/?x=1", "/api/users/me?x=1"),
    ],
)
async def test_trailing_slash_redirect_does_not_reflect_a_forged_host(
    stack: Stack, path: str, relative: str
) -> None:
    response = await stack.http.get(f"{stack.url}{path}", headers={"Host": "evil.example"})
    assert response.status_code == 307
    assert response.headers["location"] == relative


async def test_redirect_is_followed_to_the_same_server(stack: Stack) -> None:
    acme = await stack.company()
    admin = await stack.user(Role.company_admin, [acme.id])
    response = await stack.http.get(
        f"{stack.url}/api/incidents/", headers=bearer(admin["access_token"]), follow_redirects=True
    )
    assert response.status_code == 200
    assert str(response.url) == f"{stack.url}/api/incidents"


async def test_bidi_controls_are_removed_from_alert_text_and_the_alert_is_accepted(stack: Stack) -> None:
    acme = await stack.company()
    admin = await stack.user(Role.company_admin, [acme.id])
    body = alert_body(
        asset_name=f"inv-{RLO}fdp.exe",
        signature=f"disk{BIDI}_full",
        message=f"payload {RLO}txt.exe",
        category=f"Data{RLO}base",
        asset_id=f"i-{RLO}1",
        labels={f"env{RLO}": f"pro{RLO}d", "nested": {"deep": [f"a{RLO}b"]}},
    )
    response = await stack.post_alert(acme, body)
    accepted(response)

    [alert] = await stack.alerts(acme.id)
    assert alert.asset_name == "inv-fdp.exe"
    assert alert.signature == "disk_full"
    assert alert.message == "payload txt.exe"
    assert (alert.category, alert.asset_id) == ("Database", "i-1")
    assert alert.labels == {"env": "prod", "nested": {"deep": ["ab"]}}

    incident_id = await stack.incident_of(response)
    detail = await eventually(
        lambda: stack.http.get(
            f"{stack.url}/api/incidents/{incident_id}", headers=bearer(admin["access_token"])
        ),
        lambda r: r.status_code == 200,
    )
    shown = json.dumps(detail.json(), ensure_ascii=False)
    assert not any(c in shown for c in BIDI)
    assert detail.json()["asset_name"] == "inv-fdp.exe"


async def test_a_name_of_bidi_controls_only_is_blank(stack: Stack) -> None:
    acme = await stack.company()
    response = await stack.post_alert(acme, alert_body(asset_name=BIDI))
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "asset_name"]]
