"""The starter library: global runbooks every installation gets, and harmless demo runbooks for
`alert-whisperer demo`. Built from `RunbookSpec`, so an entry that fails the API's checks fails import.

Commands are for systemd Linux hosts reached through SSM. Each action is safe to repeat; values come only
from declared parameters (see docs/runbooks.md). Where an action has nothing to undo its rollback is
`true`, keeping rollback_actions[i] aligned with actions[i].
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core.audit import SYSTEM_ACTOR
from core.db.models import Runbook
from core.runbooks.service import audit, new_runbook
from core.runbooks.spec import Parameter, RunbookSpec
from workflows.remediation.types import ExecutorKind, RiskLevel

# A systemd unit name as an alert label carries it: nginx, postgresql@16-main.service, php8.2-fpm.
SERVICE = Parameter(name="service", source="label:service", pattern=r"^[A-Za-z0-9_.@-]+$")

UNIT_EXISTS = "systemctl cat -- {service} > /dev/null"
RESTART = "systemctl restart -- {service}"
# `sh -c` takes the unit as "$1", so the quoted value is never re-read as shell text.
AWAIT_ACTIVE = "timeout 60 sh -c 'until systemctl is-active --quiet -- \"$1\"; do sleep 2; done' _ {service}"
ACTIVE = "systemctl is-active --quiet -- {service}"
START_AGAIN = "systemctl start -- {service}"  # a restart that left the unit stopped: bring it back up
NOTHING_TO_UNDO = "true"


def _disk_use_below(percent: int) -> str:
    """Exit 0 when / and /var are both below `percent` used."""
    return (
        "df -P / /var | awk -v limit="
        + str(percent)
        + ' \'NR > 1 { sub("%", "", $5); if ($5 + 0 >= limit) full = 1 } END { exit full }\''
    )


def _memory_available_at_least(percent: int) -> str:
    """Exit 0 when at least `percent` of memory is available (MemAvailable of MemTotal)."""
    return (
        "awk -v want="
        + str(percent)
        + " '/^MemTotal:/ { total = $2 } /^MemAvailable:/ { avail = $2 }"
        + " END { exit !(total > 0 && avail * 100 / total >= want) }' /proc/meminfo"
    )


DISK_CLEANUP = RunbookSpec(
    name="Disk cleanup",
    description=(
        "Frees space on / and /var by removing only what the system regenerates: systemd journal beyond "
        "500 MB, the package manager's download cache, temporary files untouched for 10 days (/tmp) or "
        "30 days (/var/tmp), and rotated logs older than 7 days. Skipped when both are below 80% used; "
        "healthy when both are below 90%. Deletions cannot be undone, so there is no rollback."
    ),
    signatures=["disk_*", "*disk_space*", "filesystem_full*"],
    risk_level=RiskLevel.low,
    executor=ExecutorKind.ssm,
    pre_check=_disk_use_below(80),
    actions=[
        "if command -v journalctl > /dev/null 2>&1; then journalctl --vacuum-size=500M; fi",
        "if command -v apt-get > /dev/null 2>&1; then apt-get clean;"
        " elif command -v dnf > /dev/null 2>&1; then dnf clean packages;"
        " elif command -v yum > /dev/null 2>&1; then yum clean packages; fi",
        "find /tmp -xdev -mindepth 1 -type f -mtime +10 -delete"
        " && find /var/tmp -xdev -mindepth 1 -type f -mtime +30 -delete",
        "find /var/log -xdev -type f \\( -name '*.gz' -o -name '*.[0-9]' -o -name '*.old' \\)"
        " -mtime +7 -delete",
    ],
    post_check=_disk_use_below(90),
    auto_approve=True,
    timeout_seconds=600,
)


def _service_restart(
    *,
    name: str,
    description: str,
    signatures: list[str],
    risk_level: RiskLevel,
    pre_check: str | None,
    post_check: str,
    timeout_seconds: int,
    record: str | None = None,
) -> RunbookSpec:
    """Restarts the unit named by the alert's `service` label, after `record` (a step that only writes to
    the run's output) if given. Stops before touching anything when no such unit exists; a restart that
    leaves the unit stopped is followed by one more start."""
    recording = [] if record is None else [record]
    return RunbookSpec(
        name=name,
        description=description,
        signatures=signatures,
        risk_level=risk_level,
        executor=ExecutorKind.ssm,
        parameters=[SERVICE],
        pre_check=pre_check,
        actions=[UNIT_EXISTS, *recording, RESTART, AWAIT_ACTIVE],
        rollback_actions=[NOTHING_TO_UNDO, *(NOTHING_TO_UNDO for _ in recording), START_AGAIN],
        post_check=post_check,
        timeout_seconds=timeout_seconds,
    )


SERVICE_RESTART = _service_restart(
    name="Service restart",
    description=(
        "Restarts the systemd unit named by the alert's `service` label and waits up to 60 s for it to "
        "be active. Skipped when the unit is already active. Stops before touching anything when no "
        "such unit exists; a restart that leaves it stopped is followed by one more start."
    ),
    signatures=["service_down*", "*_service_*"],
    risk_level=RiskLevel.medium,
    pre_check=ACTIVE,
    post_check=ACTIVE,
    timeout_seconds=120,
)

MEMORY_LEAK_MITIGATION = _service_restart(
    name="Memory-leak mitigation",
    description=(
        "Records the unit's status and the largest processes (in the run's output, for the post-mortem), "
        "then restarts the unit named by the `service` label to release the memory it leaked. Skipped "
        "when at least 15% of memory is available; healthy when the unit is active and at least 10% is."
    ),
    signatures=["memory_*", "oom*"],
    risk_level=RiskLevel.medium,
    pre_check=_memory_available_at_least(15),
    record="systemctl status --no-pager --lines=0 -- {service} | head -n 15;"
    " ps -eo pid,rss,vsz,etime,comm --sort=-rss | head -n 15",
    post_check=ACTIVE + " && " + _memory_available_at_least(10),
    timeout_seconds=180,
)

CONNECTION_POOL_RESET = _service_restart(
    name="Connection-pool reset",
    description=(
        "Resets a connection pool by restarting the pooling unit named by the `service` label (such as "
        "pgbouncer, or the application holding the pool), after recording socket counts. Every client "
        "connection through it drops, hence high risk: an administrator approves. There is no local "
        "test for a pool gone bad, so there is no pre-check."
    ),
    signatures=["db_connection*", "connection_pool*"],
    risk_level=RiskLevel.high,
    pre_check=None,
    record="ss -s; echo close-wait: $(ss -Htan state close-wait | wc -l)",
    post_check=ACTIVE,
    timeout_seconds=120,
)

STARTER = (DISK_CLEANUP, SERVICE_RESTART, MEMORY_LEAK_MITIGATION, CONNECTION_POOL_RESET)

# Harmless runbooks on the local executor, for the signatures `alert-whisperer demo` sends that the
# starter library does not handle. One fails its post-check on purpose, to show a rollback.
ASSET = Parameter(name="asset", source="asset_name", pattern=r"^[A-Za-z0-9_.-]{1,100}$")


def _demo(
    *,
    name: str,
    description: str,
    signatures: list[str],
    actions: list[str],
    post_check: str,
    rollback_actions: list[str] | None = None,
    risk_level: RiskLevel = RiskLevel.low,
    auto_approve: bool = True,
) -> RunbookSpec:
    return RunbookSpec(
        name=name,
        description=f"Demo only (echo and sleep): {description}",
        signatures=signatures,
        risk_level=risk_level,
        executor=ExecutorKind.local,
        parameters=[ASSET],
        actions=actions,
        rollback_actions=rollback_actions or [],
        post_check=post_check,
        auto_approve=auto_approve,
        timeout_seconds=30,
        demo=True,
    )


DEMO = (
    _demo(
        name="Demo: recycle web workers",
        description="pretends to recycle the web workers of the asset.",
        signatures=["http_5xx_rate*", "demo_web_*"],
        actions=["echo demo: draining web workers on {asset}", "sleep 0.2", "echo demo: workers recycled"],
        rollback_actions=["echo demo: workers restored on {asset}"],
        post_check="test -d /tmp",
    ),
    _demo(
        name="Demo: flush mail queue",
        description="pretends to flush the outbound mail queue.",
        signatures=["queue_backlog*", "demo_queue_*"],
        actions=["echo demo: flushing the mail queue on {asset}", "sleep 0.2"],
        post_check="true",
    ),
    _demo(
        name="Demo: warm API cache (needs approval)",
        description="medium risk and not auto-approved, to show an approval.",
        signatures=["latency_p99*", "demo_latency_*"],
        risk_level=RiskLevel.medium,
        auto_approve=False,
        actions=["echo demo: warming the API cache on {asset}", "sleep 0.2"],
        post_check="test -d /tmp",
    ),
    _demo(
        name="Demo: rebuild query plans (rolls back)",
        description="its post-check fails on purpose, so the run rolls back.",
        signatures=["slow_queries*", "demo_rollback_*"],
        actions=["echo demo: analysing tables on {asset}", "sleep 0.2", "echo demo: plans rebuilt"],
        rollback_actions=["echo demo: previous statistics restored", "true", "echo demo: plans reverted"],
        post_check="echo demo: latency still high; false",
    ),
)


async def seed_starter_library(session: AsyncSession, include_demo: bool) -> list[Runbook]:
    """Adds the library's global runbooks that are missing, by name, to the caller's transaction; returns
    those added. One already there is left as it is, edits and all; a deleted one comes back."""
    wanted = [*STARTER, *(DEMO if include_demo else ())]
    query = select(Runbook.name).where(
        col(Runbook.company_id).is_(None), col(Runbook.name).in_([s.name for s in wanted])
    )
    present = set((await session.execute(query)).scalars())
    added = [new_runbook(spec, None, created_by=None) for spec in wanted if spec.name not in present]
    session.add_all(added)
    await session.flush()
    for runbook in added:
        await audit(session, SYSTEM_ACTOR, "create", runbook, after={"name": runbook.name, "seeded": True})
    return added
