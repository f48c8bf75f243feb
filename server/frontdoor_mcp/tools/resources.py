"""MCP resources: a certificate's PEM, for a client to attach."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from frontdoor_mcp.api.errors import FrontdoorError, NotFound
from frontdoor_mcp.api.ids import InvalidIdError
from frontdoor_mcp.tools.state import AppState, app_state

CERTIFICATE_PEM_URI = "frontdoor://{frontdoor_id}/client-certificates/{certificate_id}.pem"


async def certificate_pem_resource(frontdoor_id: str, certificate_id: str, ctx: Context[AppState, Any]) -> str:
    """The PEM of one client certificate, for a client to attach."""
    state = app_state(ctx)
    try:
        certificate = await state.client.certificates.get(frontdoor_id, certificate_id)
    except InvalidIdError as exc:
        raise ResourceNotFoundError(str(exc)) from None
    except NotFound:
        raise ResourceNotFoundError(f"Client certificate {certificate_id} was not found.") from None
    except FrontdoorError as exc:
        from frontdoor_mcp.tools.messages import describe_failure  # only on failure: off the start-up path

        raise ResourceError(describe_failure(exc, state)) from None
    return certificate.value or ""
