from datetime import UTC, datetime, timedelta

import pytest

from workflows.incident.scoring import priority_score
from workflows.types import Severity

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def score(**overrides: object) -> int:
    args: dict[str, object] = {
        "severity": Severity.medium,
        "alert_count": 1,
        "distinct_tool_sources": 1,
        "critical_asset": False,
        "first_alert_at": T0,
        "latest_alert_at": T0,
    }
    args.update(overrides)
    return priority_score(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        (Severity.low, 10),
        (Severity.medium, 30),
        (Severity.high, 50),
        (Severity.critical, 70),
    ],
)
def test_single_alert_scores_its_severity_base(severity: Severity, expected: int) -> None:
    assert score(severity=severity) == expected


@pytest.mark.parametrize(("count", "bonus"), [(1, 0), (2, 4), (3, 6), (4, 8), (6, 10), (500, 10)])
def test_volume_adds_up_to_ten_logarithmically(count: int, bonus: int) -> None:
    assert score(alert_count=count) == 30 + bonus


def test_each_extra_tool_source_adds_five_up_to_ten() -> None:
    assert [score(distinct_tool_sources=n) for n in (1, 2, 3, 5)] == [30, 35, 40, 40]


def test_critical_asset_adds_fifteen() -> None:
    assert score(critical_asset=True) == 45


def test_age_adds_one_per_quarter_hour_up_to_five() -> None:
    ages = [0, 14, 15, 31, 300]
    assert [score(latest_alert_at=T0 + timedelta(minutes=m)) for m in ages] == [30, 30, 31, 32, 35]


def test_score_is_clamped_to_one_hundred() -> None:
    assert (
        score(
            severity=Severity.critical,
            alert_count=100,
            distinct_tool_sources=4,
            critical_asset=True,
            latest_alert_at=T0 + timedelta(hours=3),
        )
        == 100
    )
