"""When and how long to wait before trying a request again."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

IDEMPOTENT_METHODS: Final = frozenset({"GET", "PUT", "DELETE"})
"""Only these are ever sent twice. POST and PATCH are not repeated blindly: after an unknown outcome the
client looks before it reports (see `FrontdoorClient.create_certificate`)."""

RETRYABLE_STATUSES: Final = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    max_retry_after: float = 60.0
    """A longer Retry-After is not slept through: the call fails at once and says when to try again."""

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter ("equal jitter": half fixed, half random), capped."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def delay_for(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None when the call should not be tried again."""
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            return None if retry_after > self.max_retry_after else retry_after
        return self.backoff(attempt)
