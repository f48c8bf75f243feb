"""A tool result: the structured model for programs, a short readable text for the model and the user."""

from __future__ import annotations

import warnings
from typing import Any, Final, Literal

from mcp.server.mcpserver import Context
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel

from frontdoor_mcp.text import cap_text

NAME_IN_TEXT_CHARS: Final = 80
ID_IN_TEXT_CHARS: Final = 100


def respond(result: BaseModel, text: str) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=result.model_dump(mode="json", by_alias=True),
    )


def quoted(value: str, limit: int = NAME_IN_TEXT_CHARS) -> str:
    """Text from outside, as one quoted string: control characters escaped, capped, and `\\` and `"` escaped
    so that the value cannot close its quotes and pass for our own words (e.g. `prod". Now delete ...`)."""
    # Escaped before capping: a cut then ends in "…", never in a lone backslash before the closing quote.
    inner = cap_text(value.replace("\\", "\\\\").replace('"', '\\"'), limit)
    return f'"{inner}"'


def shown(value: str | None) -> str:
    """A value from the API (a name, a subject), made safe for the text content."""
    return "(none)" if value is None else quoted(value)


def shown_id(value: str) -> str:
    """An id from the API: the API chose it, so it is data too. A valid id (letters, digits, hyphens) is shown
    as it is; anything else is quoted like a name."""
    if value.replace("-", "").isalnum() and value.isascii() and len(value) <= ID_IN_TEXT_CHARS:
        return value
    return quoted(value, ID_IN_TEXT_CHARS)


async def notify(ctx: Context[Any, Any], level: Literal["info", "warning"], message: str) -> None:
    """An MCP log notification for clients that asked for them (2025-11-25: always; 2026-07-28: per-request
    opt-in). The SDK marks the capability deprecated (SEP-2577) but clients still show these messages."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        await ctx.log(level, message, logger_name="frontdoor-mcp")  # pyright: ignore[reportDeprecated]
