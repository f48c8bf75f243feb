"""How many requests to keep in flight when reading many resources: adapted to how the API answers.

`AdaptiveConcurrency` is additive increase, multiplicative decrease (AIMD), as TCP does it: start at
`initial`, add one after a window's worth of healthy answers in a row (as many as the limit), up to
`maximum`; halve on a 429 or a 503, once per round (a throttled answer to a request begun before the last
halving says nothing new, so it does not halve again), never below `minimum`. A 429 or 503 carrying
`Retry-After` also holds back every new request until then, not only the one being retried. Once the API
has pushed back, growth is slower (one per `CAUTIOUS_WINDOWS` windows), as TCP grows more carefully after a
loss: a rate limiter's burst hides the limit until it is spent, and every request in flight then is refused,
so the higher the limit climbs past the sustainable rate, the more answers are 429s (measured against the
sandbox's token bucket, 100/s with a burst of 100, at 50 ms: 8.4% of the requests answered 429 growing
one per window, 2.8% with four).

The bookkeeping (`begin`, `observe`, `end`, `may_start`) is plain and synchronous, so it is tested by
feeding it answers; `slot()` is the async gate built on it. It learns every answer through the observer
`slot()` yields, which the HTTP layer calls once per answer, retried ones included (`ApiHttp.call(observe=)`).
It imports nothing of ours: the HTTP layer takes its observer type from here.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Final

import anyio

AnswerObserver = Callable[[int, float | None], None]
"""Told the status and the Retry-After (seconds, when given) of every answer to one call, a retried attempt's
included (`ApiHttp.call(observe=)`): how an adaptive limit learns of a 429 even when the retry then succeeds."""

INITIAL_CONCURRENCY: Final = 16
MAX_CONCURRENCY: Final = 64
"""The most requests in flight when every answer is healthy: at 50 ms a round trip, 10,000 reads in ~8 s."""
CAUTIOUS_WINDOWS: Final = 4
"""After a 429 or 503, windows of healthy answers per step of growth (one before any)."""
THROTTLE_STATUSES: Final = frozenset({429, 503})
MAX_PAUSE_S: Final = 60.0
"""A longer Retry-After is not waited for here: the retry policy fails that call, which ends the work."""


class AdaptiveConcurrency:
    """The number of requests allowed in flight (`limit`), raised while answers stay healthy and halved when
    the API says it is overwhelmed; and the moment before which no new request starts (`resume_at`)."""

    def __init__(
        self,
        *,
        initial: int = INITIAL_CONCURRENCY,
        maximum: int = MAX_CONCURRENCY,
        minimum: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        if not 1 <= minimum <= initial <= maximum:
            raise ValueError("need 1 <= minimum <= initial <= maximum")
        self.limit = initial
        self.minimum = minimum
        self.maximum = maximum
        self.in_flight = 0
        self.resume_at = -math.inf
        """No request starts before this moment of `clock` (a Retry-After)."""
        self._clock = clock
        self._sleep = sleep
        self._begun = 0
        """Requests begun so far; each request's number is its order of beginning."""
        self._round_start = 0
        """A throttled answer to a request numbered below this was in flight when the limit last halved."""
        self._healthy_run = 0
        self._pushed_back = False
        """Whether the API has answered 429 or 503 yet: growth is slower from then on."""
        self._waiting: deque[anyio.Event] = deque()

    # The bookkeeping --------------------------------------------------------------------------------

    def may_start(self) -> bool:
        return self.in_flight < self.limit and self._clock() >= self.resume_at

    def begin(self) -> int:
        """A request starts: its number, which `observe` takes."""
        number = self._begun
        self._begun += 1
        self.in_flight += 1
        return number

    def observe(self, number: int, status: int, retry_after: float | None = None) -> None:
        """An answer (of any attempt) to request `number`."""
        if status in THROTTLE_STATUSES:
            self._healthy_run = 0
            self._pushed_back = True
            if retry_after is not None:
                self.resume_at = max(self.resume_at, self._clock() + min(retry_after, MAX_PAUSE_S))
            if number >= self._round_start:
                self.limit = max(self.minimum, self.limit // 2)
                self._round_start = self._begun  # the next halving needs a request begun after this one
        elif status >= 500:
            self._healthy_run = 0  # trouble of another kind: no growth on it, no halving either
        else:
            self._healthy_run += 1
            window = self.limit * (CAUTIOUS_WINDOWS if self._pushed_back else 1)
            if self._healthy_run >= window and self.limit < self.maximum:
                self._healthy_run = 0
                self.limit += 1
                self._wake_one()

    def end(self, number: int) -> None:
        """Request `number` is finished (answered, failed or cancelled)."""
        del number  # kept in the signature so that every call names the request it ends
        self.in_flight -= 1
        self._wake_one()

    # The gate -----------------------------------------------------------------------------------------

    @asynccontextmanager
    async def slot(self) -> AsyncGenerator[AnswerObserver]:
        """Wait for room (and for any Retry-After), then hold one place in flight; yields the observer to
        hand to the HTTP layer for this request."""
        await self._room()
        number = self.begin()
        try:
            yield lambda status, retry_after: self.observe(number, status, retry_after)
        finally:
            self.end(number)

    async def _room(self) -> None:
        while True:
            wait = self.resume_at - self._clock()
            if wait > 0:
                await self._sleep(wait)
                continue
            if self.in_flight < self.limit:
                return
            woken = anyio.Event()
            self._waiting.append(woken)
            try:
                await woken.wait()
            finally:
                if not woken.is_set():  # cancelled while waiting
                    self._waiting.remove(woken)

    def _wake_one(self) -> None:
        """One place may have opened: the longest waiter looks again (and waits again if it was taken)."""
        if self._waiting and self.in_flight < self.limit:
            self._waiting.popleft().set()
