"""A token bucket on the sandbox's clock: what a `rate_limit` fault applies to the requests it matches."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class TokenBucket:
    """`capacity` requests at once, refilled at `rate_per_s`. Not thread-safe: the FaultController's lock
    guards it. Time is whatever the caller passes (the sandbox clock), so a test moves it by hand."""

    rate_per_s: float
    capacity: float
    tokens: float
    updated: float | None = None

    @classmethod
    def full(cls, rate_per_s: float, capacity: float) -> TokenBucket:
        return cls(rate_per_s, capacity, capacity)

    def take(self, now: float) -> float | None:
        """Admit one request at `now` (None), or the seconds until one would be admitted (nothing taken)."""
        if self.updated is not None and now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate_per_s)
        # A clock that steps back refills nothing and keeps the later time: no tokens out of thin air.
        self.updated = now if self.updated is None else max(self.updated, now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        return (1.0 - self.tokens) / self.rate_per_s


def retry_after_seconds(wait_s: float) -> int:
    """Retry-After as an integer number of seconds (RFC 9110 delay-seconds), rounded up, at least 1: a
    client that waits that long is admitted."""
    return max(1, math.ceil(wait_s - 1e-9))
