"""What became of the demo stream's incidents, read back through the API once their runbooks have settled:
healed by themselves, awaiting approval, rolled back, or left to a technician."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.decisions.outcome import GUARDRAIL_MARK

Outcome = Literal["healed", "awaiting_approval", "rolled_back", "escalated", "other"]

HEALED_RESOLUTIONS = frozenset({"auto_remediated", "already_healthy"})
UNDER_WAY = frozenset({"approved", "running"})  # a runbook about to run or running: not settled yet
ROLLED_BACK = frozenset({"rolled_back", "failed"})
PAGE = 500

OUTCOME_LABELS: dict[Outcome, str] = {
    "healed": "healed themselves (runbook ran, no human)",
    "awaiting_approval": "awaiting approval",
    "rolled_back": "runbook rolled back / failed, escalated",
    "escalated": "escalated to a technician (no runbook, or guardrail)",
    "other": "other (rejected, approval timed out, recovered, undecided)",
}


class SignInFailed(Exception):
    pass


@dataclass(frozen=True)
class AdminLogin:
    email: str
    password: str


def outcome_of(incident: dict[str, Any]) -> Outcome:
    """Where one incident stands now, from its latest decision and remediation."""
    remediation = incident.get("remediation") or {}
    decision = incident.get("decision") or {}
    if incident.get("resolution") in HEALED_RESOLUTIONS:
        return "healed"
    if remediation.get("status") == "awaiting_approval":
        return "awaiting_approval"
    if remediation.get("status") in ROLLED_BACK:
        return "rolled_back"
    if decision.get("action") == "ESCALATE_TO_TECH" and incident.get("status") != "resolved":
        return "escalated"
    return "other"


def unsettled(incident: dict[str, Any]) -> bool:
    """Still moving: not decided yet, or its runbook approved or running."""
    if incident.get("status") == "resolved":
        return False
    remediation = incident.get("remediation") or {}
    return incident.get("decision") is None or remediation.get("status") in UNDER_WAY


@dataclass
class Lifecycle:
    incidents: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, Any] | None = None  # GET /api/remediation/figures since the stream began
    settled: bool = False
    waited_s: float = 0.0

    @property
    def outcomes(self) -> Counter[Outcome]:
        return Counter(outcome_of(i) for i in self.incidents)

    @property
    def self_healing_share(self) -> float | None:
        return self.outcomes["healed"] / len(self.incidents) if self.incidents else None

    @property
    def guardrail_escalations(self) -> int:
        return sum(
            outcome_of(i) == "escalated" and GUARDRAIL_MARK in (i.get("decision") or {}).get("reasoning", "")
            for i in self.incidents
        )

    def by_signature(self) -> dict[str, tuple[str, Counter[Outcome]]]:
        """Per alert signature: the runbook its incidents had (marked "[demo]" for a demo runbook; blank
        when none was proposed) and their outcomes."""
        found: dict[str, tuple[str, Counter[Outcome]]] = {}
        for incident in sorted(self.incidents, key=lambda i: str(i["created_at"])):
            runbook, outcomes = found.setdefault(incident["signature"], ("", Counter()))
            outcomes[outcome_of(incident)] += 1
            remediation = incident.get("remediation") or {}
            if remediation and not runbook:
                demo = "[demo] " if (remediation.get("plan") or {}).get("demo") else ""
                name = remediation.get("runbook_name") or remediation.get("runbook_id")
                found[incident["signature"]] = (f"{demo}{name}", outcomes)
        return found

    def as_json(self) -> dict[str, Any]:
        outcomes = self.outcomes
        return {
            "incidents": len(self.incidents),
            **{outcome: outcomes[outcome] for outcome in OUTCOME_LABELS},
            "self_healing_share": self.self_healing_share,
            "guardrail_escalations": self.guardrail_escalations,
            "settled": self.settled,
            "waited_s": round(self.waited_s, 1),
            "runbook_runs": self.figures["runbooks"] if self.figures else None,
            "by_signature": {
                signature: {"runbook": runbook or None, **counts}
                for signature, (runbook, counts) in self.by_signature().items()
            },
        }


async def sign_in(client: httpx.AsyncClient, url: str, login: AdminLogin) -> str:
    response = await client.post(
        f"{url}/api/auth/login", json={"email": login.email, "password": login.password}
    )
    if response.status_code != 200:
        raise SignInFailed(
            f"signing in as {login.email} failed: {response.status_code} {response.text[:200]}"
        )
    return str(response.json()["access_token"])


async def company_incidents(
    client: httpx.AsyncClient, url: str, token: str, company_id: str
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        response = await client.get(
            f"{url}/api/incidents",
            params={"company_id": company_id, "limit": PAGE, "offset": len(items)},
            headers={"Authorization": f"Bearer {token}"},
        )
        response.raise_for_status()
        page = response.json()
        items.extend(page["items"])
        if not page["items"] or len(items) >= page["total"]:
            return items


async def company_of(client: httpx.AsyncClient, url: str, token: str, incident_id: str) -> str:
    response = await client.get(
        f"{url}/api/incidents/{incident_id}",
        params={"alert_limit": 0},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return str(response.json()["company_id"])


async def runbook_figures(
    client: httpx.AsyncClient, url: str, token: str, company_id: str, since: datetime
) -> dict[str, Any]:
    """The company's figures since the stream began, as `GET /api/remediation/figures` computes them."""
    response = await client.get(
        f"{url}/api/remediation/figures",
        params={"company_id": company_id, "since": since.isoformat()},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    figures: dict[str, Any] = response.json()
    return figures


def print_runbook_runs(console: Console, figures: dict[str, Any]) -> None:
    table = Table(title="Runbook runs (GET /api/remediation/figures)")
    table.add_column("runbook")
    table.add_column("runs", justify="right")
    table.add_column("succeeded", justify="right")
    table.add_column("failed / rolled back", justify="right")
    for row in figures["runbooks"]:
        name = f"[demo] {row['name']}" if row["demo"] else str(row["name"] or row["runbook_id"])
        table.add_row(escape(name), str(row["runs"]), str(row["succeeded"]), str(row["failed"]))
    console.print(table)


async def await_settled(
    client: httpx.AsyncClient,
    url: str,
    token: str,
    company_id: str,
    belongs: Callable[[dict[str, Any]], bool],
    *,
    wait_s: float,
    console: Console,
    interval_s: float = 0.5,
) -> Lifecycle:
    """Polls the company's incidents (those `belongs(incident)` picks) until none is undecided or has a
    runbook approved or running, twice in a row (alerts answered 202 may open theirs a moment later),
    or until `wait_s` has passed."""
    started = time.monotonic()
    lifecycle = Lifecycle()
    calm_polls = 0
    with Progress(
        TextColumn("[bold]Waiting for runbooks"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("settle", total=None, note="")
        while True:
            lifecycle.incidents = [
                i for i in await company_incidents(client, url, token, company_id) if belongs(i)
            ]
            moving = sum(unsettled(i) for i in lifecycle.incidents)
            total = len(lifecycle.incidents)
            progress.update(
                task, total=total, completed=total - moving, note=f"{moving} still deciding or running"
            )
            calm_polls = calm_polls + 1 if moving == 0 and total else 0
            lifecycle.waited_s = time.monotonic() - started
            if calm_polls >= 2:
                lifecycle.settled = True
                return lifecycle
            if lifecycle.waited_s >= wait_s:
                return lifecycle
            await asyncio.sleep(interval_s)


def print_lifecycle(console: Console, lifecycle: Lifecycle) -> None:
    outcomes = lifecycle.outcomes
    total = len(lifecycle.incidents)
    table = Table(title="Incident lifecycle")
    table.add_column("incidents")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    table.add_row("opened or joined by the stream", str(total), "")
    for outcome, label in OUTCOME_LABELS.items():
        if outcome == "other" and not outcomes[outcome]:
            continue
        share = f"{100 * outcomes[outcome] / total:.0f} %" if total else ""
        table.add_row(label, str(outcomes[outcome]), share)
    console.print(table)

    signatures = Table(title=escape("By alert signature ([demo]: a harmless runbook on the local executor)"))
    signatures.add_column("signature")
    signatures.add_column("runbook")
    shown = [o for o in OUTCOME_LABELS if o != "other" or outcomes["other"]]
    for outcome in shown:
        signatures.add_column(outcome.replace("_", " "), justify="right")
    for signature, (runbook, counts) in sorted(lifecycle.by_signature().items()):
        signatures.add_row(
            escape(signature), escape(runbook), *(str(counts[o]) if counts[o] else "" for o in shown)
        )
    console.print(signatures)

    if lifecycle.figures is not None:
        print_runbook_runs(console, lifecycle.figures)

    healed_share = lifecycle.self_healing_share
    if healed_share is not None:
        console.print(
            f"[bold]Self-healing share: {100 * healed_share:.0f} %[/bold] of {total} incidents "
            "(the original product claims 25 % automated)."
        )
    if lifecycle.guardrail_escalations:
        console.print(
            f"{lifecycle.guardrail_escalations} escalated by the guardrail: a runbook runs at most "
            "max_runs_per_asset_hour times (default 3) on one asset per hour, so repeats of a healed problem "
            "go to a technician, and a second demo within the hour heals less."
        )
    if not lifecycle.settled:
        console.print(
            f"[yellow]Not settled after {lifecycle.waited_s:.0f} s: some runbooks were still deciding or "
            "running; the figures above are a snapshot."
        )
