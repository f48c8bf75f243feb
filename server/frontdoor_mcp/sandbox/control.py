"""The sandbox's own endpoints: its OpenAPI document, and the `/_sandbox` control plane (faults, the request log,
the paging of lists, the shares' connection log) that tests drive over HTTP, guarded by the X-Sandbox-Admin
header."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from frontdoor_mcp.sandbox import access
from frontdoor_mcp.sandbox.access import ADMIN_HEADER
from frontdoor_mcp.sandbox.faults.controller import Fault
from frontdoor_mcp.sandbox.openapi import openapi_document
from frontdoor_mcp.sandbox.web.endpoint import SandboxConfig
from frontdoor_mcp.sandbox.web.responses import api_root, bad_request, json_response
from frontdoor_mcp.sandbox.web.validation import read_json


class ControlRoutes:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config

    async def openapi(self, request: Request) -> Response:
        return json_response(200, openapi_document(api_root(request)))

    def _admin(self, request: Request) -> None:
        access.check_admin(request.headers.get(ADMIN_HEADER, ""), self.config.admin_token)

    async def add_fault(self, request: Request) -> Response:
        self._admin(request)
        body = await read_json(request)
        try:
            fault = Fault.from_json(body)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        self.config.faults.add(fault)
        return json_response(201, {"fault": fault.to_json()})

    async def list_faults(self, request: Request) -> Response:
        self._admin(request)
        return json_response(200, {"faults": [f.to_json() for f in self.config.faults.faults]})

    async def clear_faults(self, request: Request) -> Response:
        self._admin(request)
        self.config.faults.clear()
        return Response(status_code=204)

    async def list_requests(self, request: Request) -> Response:
        self._admin(request)
        records = [
            {"method": r.method, "path": r.path, "status": r.status, "time": r.time, "fault": r.fault}
            for r in self.config.faults.requests
        ]
        return json_response(200, {"requests": records})

    async def clear_requests(self, request: Request) -> Response:
        self._admin(request)
        self.config.faults.clear_requests()
        return Response(status_code=204)

    async def list_connections(self, request: Request) -> Response:
        """The data plane's access log: each client connection to a share, admitted or refused, and by what."""
        self._admin(request)
        plane = self.config.data_plane
        records = [record.to_json() for record in plane.log] if plane is not None else []
        return json_response(200, {"connections": records})

    async def get_paging(self, request: Request) -> Response:
        self._admin(request)
        return json_response(200, self.config.paging.current.to_json())

    async def set_paging(self, request: Request) -> Response:
        """`{"shape": "guide|spring-dto|hal|content-only|array|unpaged", "max_page_size": N}`, either or both."""
        self._admin(request)
        body = await read_json(request)
        try:
            paging = self.config.paging.update_from_json(body)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        return json_response(200, paging.to_json())
