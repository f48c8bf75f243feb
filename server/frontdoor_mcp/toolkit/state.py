"""What an operation runs with: the one API client and the configured defaults (`AppState`), and where it says
how far it got (`Reporter`).

An operation declares a parameter typed `AppState` or `Reporter` and the adapter fills it (`adapter`), the way
the SDK fills a `Context`; it never sees an MCP context, so it runs (and is tested) without a session. The
adapter hands it a `ContextReporter`; tests hand it `SILENT`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, Protocol, TypeVar

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPDeprecationWarning

from frontdoor_mcp.api.client import FrontdoorClient
from frontdoor_mcp.api.ids import InvalidIdError, validate_frontdoor_id
from frontdoor_mcp.rules import RESULT_BUDGET_BYTES

LogLevel = Literal["info", "warning"]
T = TypeVar("T")


CRYPTO_WORKERS: Final = 2
"""Key generations (and other CPU-heavy cryptography) running at once, each on a worker thread: enough to
overlap two, few enough that a burst of RSA-4096 requests cannot take every core from the rest."""


@dataclass(frozen=True)
class AppState:
    client: FrontdoorClient
    default_frontdoor_id: str | None
    key_dir: Path | None
    credential_source: str
    crypto_workers: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(CRYPTO_WORKERS))
    """Made with the state, inside the server's event loop."""
    result_budget: int = RESULT_BUDGET_BYTES
    """The most JSON one result may hold (`budget`); tests lower it to see a result trimmed."""
    sandbox_ca_pem: str | None = None
    """With `--sandbox`: the CA the sandbox's shares serve TLS with (a connection test verifies them with it)."""

    async def off_the_loop(self, work: Callable[[], T]) -> T:
        """Run CPU-heavy `work` on a worker thread (at most CRYPTO_WORKERS at once), so the event loop keeps
        answering other calls meanwhile."""
        return await anyio.to_thread.run_sync(work, limiter=self.crypto_workers)

    def frontdoor(self, frontdoor_id: str | None) -> str:
        """The frontdoor a call is about: the argument, else FRONTDOOR_ID; a clear error when neither."""
        chosen = frontdoor_id or self.default_frontdoor_id
        if chosen is None:
            raise ToolError(
                "frontdoor_id is required: pass the frontdoor's UUID, or set FRONTDOOR_ID in the server's environment."
            )
        try:
            return validate_frontdoor_id(chosen)
        except InvalidIdError as exc:
            raise ToolError(str(exc)) from None


class Reporter(Protocol):
    """Where an operation says how far it got, and what the user should know as it happens."""

    async def progress(self, done: int, total: int | None, message: str) -> None: ...

    async def log(self, level: LogLevel, message: str) -> None: ...


class SilentReporter:
    """For callers that want neither (tests of operations, internal calls)."""

    async def progress(self, done: int, total: int | None, message: str) -> None:
        return None

    async def log(self, level: LogLevel, message: str) -> None:
        return None


SILENT = SilentReporter()


PROGRESS_STEPS: Final = 100
"""At most one progress notification per 1% (a hundredth) of the work..."""
PROGRESS_INTERVAL_S: Final = 0.25
"""...and at most one per 250 ms (both), plus the final one: an audit of 10,000 certificates says how far it got
a few times a second, not 10,000 times."""


class ProgressPacing:
    """Which progress reports of one request are sent: the final one always (once); any other only when at
    least a `PROGRESS_STEPS`th of the work and `PROGRESS_INTERVAL_S` have passed since the last one sent (the start
    counts as a report sent at 0%, a quarter second before the first one)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._sent_done = 0
        self._sent_at: float | None = None
        self._final_sent = False

    def due(self, done: int, total: int | None) -> bool:
        if total is None:  # a list that gives no total: no share of the work is known, so time alone paces
            return self._after_interval(done)
        if done >= total:
            due = not self._final_sent
            self._final_sent = True
            return due
        if (done - self._sent_done) * PROGRESS_STEPS < total:
            return False  # in whole numbers: no rounding lets two notifications through within 1%
        return self._after_interval(done)

    def _after_interval(self, done: int) -> bool:
        now = self._clock()
        if self._sent_at is None:
            self._sent_at = now - PROGRESS_INTERVAL_S  # the first report may go at once
        if now - self._sent_at < PROGRESS_INTERVAL_S:
            return False
        self._sent_done, self._sent_at = done, now
        return True


class ContextReporter:
    """Progress and log notifications of one MCP request; progress paced (`ProgressPacing`)."""

    def __init__(self, ctx: Context[Any, Any], clock: Callable[[], float] = time.monotonic) -> None:
        self._ctx = ctx
        self._pacing = ProgressPacing(clock)

    async def progress(self, done: int, total: int | None, message: str) -> None:
        if self._pacing.due(done, total):
            await self._ctx.report_progress(done, total, message)

    async def log(self, level: LogLevel, message: str) -> None:
        # MCP log notifications reach clients that asked for them (2025-11-25: always; 2026-07-28: per-request
        # opt-in). The SDK marks the capability deprecated (SEP-2577) but clients still show these messages.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await self._ctx.log(level, message, logger_name="frontdoor-mcp")  # pyright: ignore[reportDeprecated]


def app_state(ctx: Context[Any, Any]) -> AppState:
    state = ctx.request_context.lifespan_context
    if not isinstance(state, AppState):
        raise RuntimeError("the server was started without its lifespan state")
    return state
