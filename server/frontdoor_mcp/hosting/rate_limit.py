"""A rate limit per principal: a token bucket for each (tokens-file label, or issuer + client + subject),
refilled at `per_minute / 60` requests a second up to `burst`. Past it, 429 with `Retry-After` (whole
seconds until a request would be admitted). It sits after authentication, so a request is counted against
whoever it proves to be; an unauthenticated one never gets here (401 first).

Per process: with several workers each keeps its own buckets, so the limit a principal meets is up to
`workers` times this one (a reverse proxy can add a global one).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Final

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from frontdoor_mcp.hosting.callers import caller_key

MAX_TRACKED: Final = 10_000
"""Buckets kept before full (idle) ones are forgotten: a forgotten bucket is a full one anyway."""


class CallerBuckets:
    def __init__(self, *, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        """key -> (tokens left, when they were counted)"""

    def take(self, key: str) -> float:
        """0 when a request is admitted (and counted); else the seconds until one would be."""
        now = self._clock()
        tokens, then = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - then) * self._rate)
        if tokens >= 1.0:
            self._remember(key, tokens - 1.0, now)
            return 0.0
        self._remember(key, tokens, now)
        return (1.0 - tokens) / self._rate

    def _remember(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > MAX_TRACKED:
            full = [k for k, (left, at) in self._buckets.items() if left + (now - at) * self._rate >= self._burst]
            for k in full:
                del self._buckets[k]


class CallerRateLimit:
    def __init__(self, app: ASGIApp, buckets: CallerBuckets) -> None:
        self._app = app
        self._buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = scope.get("user")
        if scope["type"] == "http" and isinstance(user, AuthenticatedUser):
            wait = self._buckets.take(caller_key(user.access_token))
            if wait > 0:
                await too_many_requests(wait)(scope, receive, send)
                return
        await self._app(scope, receive, send)


def too_many_requests(wait_s: float) -> Response:
    seconds = max(1, math.ceil(wait_s))
    body = {"error": "rate_limited", "error_description": f"Too many requests; try again in {seconds} s."}
    return Response(
        json.dumps(body), status_code=429, media_type="application/json", headers={"retry-after": str(seconds)}
    )
