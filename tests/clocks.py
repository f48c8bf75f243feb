"""A clock a test moves by hand, for the sandbox's `clock=` and the client's rate and expiry logic."""

from __future__ import annotations

import time


class ManualClock:
    """Epoch seconds that stand still until the test sets `now` (it starts at `start`, or the real time)."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now
