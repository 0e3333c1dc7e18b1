"""Which alerts a maintenance window covers: asset and signature globs, labels, and the window's schedule."""

from __future__ import annotations

from datetime import UTC, datetime

from core.maintenance.matcher import AlertScope, AlertTraits, MaintenanceRule
from core.maintenance.schedule import Schedule


def alert(**fields: object) -> AlertTraits:
    base: dict[str, object] = {"asset_name": "db-prod-01", "signature": "disk_space_critical"}
    base.update(fields)
    return AlertTraits(**base)  # type: ignore[arg-type]


def test_an_empty_scope_covers_every_alert() -> None:
    assert AlertScope.of().covers(alert())
    assert AlertScope.of().covers(alert(asset_name="anything", labels={"env": "prod"}))


def test_asset_globs_match_asset_name_or_asset_id_ignoring_case() -> None:
    scope = AlertScope.of(assets=["DB-PROD-*", "i-0abc*"])
    assert scope.covers(alert(asset_name="db-prod-07"))
    assert scope.covers(alert(asset_name="payments", asset_id="i-0ABC123"))
    assert not scope.covers(alert(asset_name="db-staging-01", asset_id="i-0def"))


def test_glob_wildcards_and_character_classes() -> None:
    scope = AlertScope.of(assets=["web-?", "cache-[ab]"])
    assert scope.covers(alert(asset_name="web-1"))
    assert not scope.covers(alert(asset_name="web-10"))
    assert scope.covers(alert(asset_name="cache-b"))
    assert not scope.covers(alert(asset_name="cache-c"))
    # A glob matches the whole name, not a part of it.
    assert not AlertScope.of(assets=["prod"]).covers(alert(asset_name="db-prod-01"))


def test_signature_globs_and_asset_globs_must_both_match() -> None:
    scope = AlertScope.of(assets=["db-*"], signatures=["disk_*", "*backup*"])
    assert scope.covers(alert(signature="Disk_Space_Critical"))
    assert scope.covers(alert(signature="nightly_backup_failed"))
    assert not scope.covers(alert(signature="cpu_high"))
    assert not scope.covers(alert(asset_name="web-01", signature="disk_full"))


def test_every_label_must_be_present_with_an_equal_value() -> None:
    scope = AlertScope.of(labels={"env": "prod", "team": "dba"})
    assert scope.covers(alert(labels={"env": "prod", "team": "dba", "extra": "x"}))
    assert not scope.covers(alert(labels={"env": "prod"}))
    assert not scope.covers(alert(labels={"env": "Prod", "team": "dba"}))  # values compare exactly
    assert not scope.covers(alert())


def test_labels_that_are_not_strings_compare_as_tools_write_them() -> None:
    scope = AlertScope.of(labels={"replica": "2", "canary": "true"})
    assert scope.covers(alert(labels={"replica": 2, "canary": True}))
    assert not scope.covers(alert(labels={"replica": 2, "canary": "True"}))


def test_a_rule_suppresses_covered_alerts_only_while_its_schedule_is_open() -> None:
    schedule = Schedule.parse(
        kind="once",
        timezone="UTC",
        starts_at=datetime(2030, 1, 1, 0, tzinfo=UTC),
        ends_at=datetime(2030, 1, 1, 4, tzinfo=UTC),
    )
    rule = MaintenanceRule("mw_1", schedule, AlertScope.of(assets=["db-*"]))
    during, after = datetime(2030, 1, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, 5, tzinfo=UTC)
    assert rule.suppresses(alert(), during)
    assert not rule.suppresses(alert(), after)
    assert not rule.suppresses(alert(asset_name="web-01"), during)
