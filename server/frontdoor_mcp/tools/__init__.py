"""The tools, one module per resource: `certificates` (and `expiry`, the audit), `request_tokens`, `shares`,
`local` (keys and files on this machine) and `connection` (a real mTLS connection from it). Each module defines
its tools in one place (`toolkit.definition`);
`certificate_results`, `request_token_results` and `share_usage` hold what they return and share.

A server lists its tools from the catalog and imports this package when a tool is first called: the one lazy
boundary of the start-up path (`server.tool_definitions`).
"""

from __future__ import annotations

from typing import Final

from frontdoor_mcp.toolkit.definition import ToolDef
from frontdoor_mcp.tools import certificates, connection, expiry, local, request_tokens, shares

ALL_TOOLS: Final[tuple[ToolDef, ...]] = (
    *certificates.TOOLS,
    *expiry.TOOLS,
    *request_tokens.TOOLS,
    *shares.TOOLS,
    *local.TOOLS,
    *connection.TOOLS,
)
"""Every tool, in the order `tools/list` shows them: toolset by toolset, as `TOOLSETS` orders them."""
