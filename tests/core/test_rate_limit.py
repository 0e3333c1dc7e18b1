"""Per-company token buckets: steady rate, bounded burst, however long the company was idle."""

from __future__ import annotations

import pytest

from core.ingest import rate_limit
from core.ingest.rate_limit import RateLimited, TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(rate_limit.time, "monotonic", fake)
    return fake


def take_until_refused(buckets: TokenBuckets, key: str, limit: int = 10_000) -> int:
    for taken in range(limit):
        try:
            buckets.take(key)
        except RateLimited:
            return taken
    return limit


def test_idle_time_refills_the_bucket_only_up_to_the_burst(clock: Clock) -> None:
    buckets = TokenBuckets(rate_per_s=10, burst=5)
    assert take_until_refused(buckets, "acme") == 5
    clock.now += 3600  # an hour idle would be 36,000 tokens without the cap
    assert take_until_refused(buckets, "acme") == 5


def test_a_new_company_starts_with_a_full_burst_and_refills_at_the_rate(clock: Clock) -> None:
    buckets = TokenBuckets(rate_per_s=2, burst=4)
    assert take_until_refused(buckets, "acme") == 4
    clock.now += 1.0
    assert take_until_refused(buckets, "acme") == 2
    with pytest.raises(RateLimited) as refused:
        buckets.take("acme")
    assert refused.value.retry_after_s == pytest.approx(0.5)
