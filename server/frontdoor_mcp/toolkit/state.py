"""What an operation runs with: the one API client and the configured defaults (`AppState`), and where it says
how far it got (`Reporter`).

An operation declares a parameter typed `AppState` or `Reporter` and the adapter fills it (`adapter`), the way
the SDK fills a `Context`; it never sees an MCP context, so it runs (and is tested) without a session. The
adapter hands it a `ContextReporter`; tests hand it `SILENT`.
"""

from __future__ import annotations

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


class ContextReporter:
    """Progress and log notifications of one MCP request."""

    def __init__(self, ctx: Context[Any, Any]) -> None:
        self._ctx = ctx

    async def progress(self, done: int, total: int | None, message: str) -> None:
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
