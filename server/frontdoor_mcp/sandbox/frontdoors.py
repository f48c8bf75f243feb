"""`GET /frontdoor/{frontdoorId}`: the frontdoor itself, so a client can check it exists and is reachable.

The guide's frontdoor shows `{id, name, organizationId}`; the OpenAPI sample adds the audit fields and HAL
links. The sandbox serves the union (nulls left out), and its HAL links name the resources it serves.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from frontdoor_mcp.sandbox.storage.rows import FrontdoorRow
from frontdoor_mcp.sandbox.web.endpoint import Gate
from frontdoor_mcp.sandbox.web.responses import ErrorResponse, Json, api_root, iso_instant, one_response, without_nulls


def frontdoor_json(row: FrontdoorRow) -> Json:
    # The sandbox never changes a frontdoor, so it was last updated when it was created, by its creator.
    created = iso_instant(row.created_us)
    return without_nulls(
        {
            "id": row.id,
            "name": row.name,
            "organizationId": row.organization_id,
            "createdAt": created,
            "createdBy": row.created_by,
            "updatedAt": created,
            "updatedBy": row.created_by,
        }
    )


class FrontdoorRoutes(Gate):
    async def get(self, request: Request) -> Response:
        call = await self.admit(request)  # a frontdoor the token may not use: the guide's 403 body
        row = self.store.get_frontdoor(call.frontdoor_id)
        if row is None:  # every frontdoor a credential names exists; kept as the same 403 if not
            raise ErrorResponse(403, "not_found", f"Frontdoor {call.frontdoor_id} not found")
        url = f"{api_root(request)}/frontdoor/{row.id}"
        links: dict[str, Json] = {
            "shares": {"href": f"{url}/shares{{?envZId}}", "templated": True},
            "clientCertificates": {"href": f"{url}/client-certificates"},
            "certificateRequestTokens": {"href": f"{url}/certificate-request-tokens"},
        }
        return one_response(call.rep, frontdoor_json(row), url, links=links)
