"""Alertmanager webhook notifications as its documentation shows them, and reading what they became."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import httpx

from core.accounts.roles import Role
from tests.support.signin import bearer
from tests.support.stack import Stack, TenantCreds

ENDPOINT = "/api/webhooks/alertmanager"
# What Alertmanager sends as endsAt of an alert that is still firing.
ZERO_TIME = "0001-01-01T00:00:00Z"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def label_fingerprint(labels: dict[str, str]) -> str:
    """16 hex digits per label set, the form of Alertmanager's fingerprints."""
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]


def am_alert(
    *,
    alertname: str = "NodeFilesystemAlmostFull",
    instance: str = "db-prod-01:9100",
    severity: str | None = "critical",
    status: str = "firing",
    starts_at: str = "2024-05-02T10:15:30.123456789Z",
    ends_at: str = ZERO_TIME,
    summary: str = "Filesystem /var is almost full",
    description: str = "Only 4% space left on /var",
    extra_labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    labels = {"alertname": alertname, "instance": instance, "job": "node", **(extra_labels or {})}
    if severity is not None:
        labels["severity"] = severity
    return {
        "status": status,
        "labels": labels,
        "annotations": {"summary": summary, "description": description},
        "startsAt": starts_at,
        "endsAt": ends_at,
        "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=node_filesystem_avail_bytes&g0.tab=1",
        "fingerprint": label_fingerprint(labels),
    }


def resolved(alert: dict[str, Any], ends_at: str = "2024-05-02T10:25:30Z") -> dict[str, Any]:
    return {**alert, "status": "resolved", "endsAt": ends_at}


def common(dicts: list[dict[str, str]]) -> dict[str, str]:
    if not dicts:
        return {}
    return {k: v for k, v in dicts[0].items() if all(d.get(k) == v for d in dicts[1:])}


def notification(
    *alerts: dict[str, Any], group_by: tuple[str, ...] = ("alertname", "instance")
) -> dict[str, Any]:
    """A version 4 payload grouping `alerts`, with the group fields Alertmanager derives from them."""
    common_labels = common([a["labels"] for a in alerts])
    group_labels = {k: v for k, v in common_labels.items() if k in group_by}
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(group_labels.items()))
    return {
        "version": "4",
        "groupKey": f"{{}}:{{{inner}}}",
        "truncatedAlerts": 0,
        "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
        "receiver": "alert-whisperer",
        "groupLabels": group_labels,
        "commonLabels": common_labels,
        "commonAnnotations": common([a["annotations"] for a in alerts]),
        "externalURL": "http://alertmanager.example.org:9093",
        "alerts": list(alerts),
    }


def bearer_auth(creds: TenantCreds) -> dict[str, str]:
    return {"Authorization": f"Bearer {creds.api_key}"}


def basic_auth(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def post_notification(
    stack: Stack, body: dict[str, Any] | bytes, headers: dict[str, str]
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await stack.http.post(
        f"{stack.url}{ENDPOINT}",
        content=raw,
        headers={"Content-Type": "application/json", "User-Agent": "Alertmanager/0.25.0", **headers},
    )


class Reader:
    """Reads incidents and companies over the API, as an MSP admin."""

    def __init__(self, stack: Stack, token: str) -> None:
        self.stack = stack
        self.headers = bearer(token)

    @classmethod
    async def signed_in(cls, stack: Stack) -> Reader:
        admin = await stack.user(Role.msp_admin, [])
        return cls(stack, admin["access_token"])

    async def incident(self, incident_id: str) -> dict[str, Any] | None:
        """None until the incident's workflow has written it (its id is known before that)."""
        response = await self.stack.http.get(
            f"{self.stack.url}/api/incidents/{incident_id}", headers=self.headers
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        detail: dict[str, Any] = response.json()
        return detail

    async def incidents(self, company_id: str) -> list[dict[str, Any]]:
        response = await self.stack.http.get(
            f"{self.stack.url}/api/incidents", params={"company_id": company_id}, headers=self.headers
        )
        response.raise_for_status()
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def set_alertmanager_labels(self, company_id: str, **labels: str) -> None:
        response = await self.stack.http.put(
            f"{self.stack.url}/api/companies/{company_id}",
            json={"integration_settings": {"alertmanager": labels}},
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
