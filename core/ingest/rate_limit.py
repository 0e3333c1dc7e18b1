"""Per-company token buckets, held in this API process."""

from __future__ import annotations

import time
from dataclasses import dataclass

from cachetools import LRUCache


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimited(Exception):
    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"rate limit exceeded; retry after {retry_after_s:.1f} s")
        self.retry_after_s = retry_after_s


class TokenBuckets:
    def __init__(self, rate_per_s: float, burst: int) -> None:
        self._rate = rate_per_s
        self._burst = float(burst)
        self._buckets: LRUCache[str, _Bucket] = LRUCache(maxsize=100_000)

    def take(self, key: str, cost: int = 1) -> None:
        """Takes `cost` tokens at once (one per alert); a batch larger than the burst needs a full bucket."""
        cost = max(1, min(cost, int(self._burst)))
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=self._burst, updated=now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens < cost:
            raise RateLimited((cost - bucket.tokens) / self._rate)
        bucket.tokens -= cost
