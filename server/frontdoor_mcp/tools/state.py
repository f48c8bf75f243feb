"""What every tool call shares: the one API client and the defaults it was configured with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from frontdoor_mcp.api.client import FrontdoorClient
from frontdoor_mcp.api.ids import InvalidIdError, validate_frontdoor_id


@dataclass(frozen=True)
class AppState:
    client: FrontdoorClient
    default_frontdoor_id: str | None
    key_dir: Path | None
    credential_source: str

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


def app_state(ctx: Context[Any, Any]) -> AppState:
    state = ctx.request_context.lifespan_context
    if not isinstance(state, AppState):
        raise RuntimeError("the server was started without its lifespan state")
    return state
