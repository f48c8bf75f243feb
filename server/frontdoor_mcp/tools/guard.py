"""Every failure is a sentence: an unexpected exception in a tool or a resolver becomes a short message that
says whether anything may have changed, and one log line with the (redacted) traceback on stderr.

Without this the SDK answers a crash with a bare "Error executing tool <name>", which tells the model
nothing about what to do next.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Final, ParamSpec, TypeVar

from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.shared.exceptions import MCPError

P = ParamSpec("P")
R = TypeVar("R")

_log = logging.getLogger("frontdoor_mcp.tools")

NOTHING_CHANGED: Final = (
    "frontdoor-mcp met an unexpected internal error; nothing was changed. Try again; if it happens again, "
    "the server's log (stderr) has the details."
)
OUTCOME_UNKNOWN: Final = (
    "frontdoor-mcp met an unexpected internal error, and whether the change was applied is unknown. Check "
    "the current state (list or get) before trying again; the server's log (stderr) has the details."
)


def unexpected_errors(*, writes: bool) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Wrap an async tool or resolver so that only deliberate errors (ToolError, MCPError) pass as they are.
    `writes`: the call may change something, so a crash cannot promise that nothing changed."""

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await fn(*args, **kwargs)
            except (ToolError, ResourceError, MCPError):
                raise
            except Exception:
                _log.exception("unexpected error in %s", getattr(fn, "__name__", "a tool"))
                raise ToolError(OUTCOME_UNKNOWN if writes else NOTHING_CHANGED) from None

        return guarded

    return decorate
