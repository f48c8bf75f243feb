"""A tool result: the structured model for programs, a short readable text for the model and the user."""

from __future__ import annotations

import warnings
from typing import Any, Final, Literal

from mcp.server.mcpserver import Context
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel

from frontdoor_mcp.api.text import cap_text

NAME_IN_TEXT_CHARS: Final = 80
ID_IN_TEXT_CHARS: Final = 100


def respond(result: BaseModel, text: str) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=result.model_dump(mode="json", by_alias=True),
    )


def shown(value: str | None) -> str:
    """A value from the API, made safe for the text content: quoted, escaped, capped."""
    if value is None:
        return "(none)"
    return f'"{cap_text(value, NAME_IN_TEXT_CHARS)}"'


def shown_id(value: str) -> str:
    """An id from the API, for the text content: escaped and capped like a name (the API chose it, so it is
    data too), but not quoted."""
    return cap_text(value, ID_IN_TEXT_CHARS)


async def notify(ctx: Context[Any, Any], level: Literal["info", "warning"], message: str) -> None:
    """An MCP log notification for clients that asked for them (2025-11-25: always; 2026-07-28: per-request
    opt-in). The SDK marks the capability deprecated (SEP-2577) but clients still show these messages."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        await ctx.log(level, message, logger_name="frontdoor-mcp")  # pyright: ignore[reportDeprecated]
