"""The sandbox HTTP API: the Frontdoor client-certificates endpoints as the guide describes them.

Where the guide is silent the behaviour is that of a Spring Boot REST API (Spring Security resource
server, Spring Data paging, Jackson), and the comment at that spot says so. The order of checks is
Spring's: authentication (401), then argument binding (path types, content type, body: 400/415),
then frontdoor access (403), then the resource (404), then the service's own checks (PEM: 400).

This module holds the handlers and assembles the app; `auth` checks credentials and issues tokens,
`validation` binds and checks input, `responses` shapes what goes back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, NoReturn

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from frontdoor_mcp.sandbox import auth
from frontdoor_mcp.sandbox.auth import ADMIN_HEADER
from frontdoor_mcp.sandbox.ca import CertificateRequest, SigningCA, certificate_pem
from frontdoor_mcp.sandbox.fault_middleware import ConnectionRegistry, FaultMiddleware
from frontdoor_mcp.sandbox.faults import Fault, FaultController
from frontdoor_mcp.sandbox.openapi import openapi_document
from frontdoor_mcp.sandbox.responses import (
    ApiError,
    Representation,
    api_error,
    bad_request,
    deleted_json,
    detail_json,
    http_error,
    json_response,
    one_response,
    page_response,
    representation,
    server_error,
    summary_json,
)
from frontdoor_mcp.sandbox.store import Principal, Store
from frontdoor_mcp.sandbox.validation import (
    NO_INPUT,
    CertificateInput,
    certificate_input,
    checked_value,
    page_request,
    parse_frontdoor_id,
    read_body,
    read_json,
    sort_orders,
)


@dataclass
class SandboxConfig:
    store: Store
    ca: SigningCA
    faults: FaultController
    connections: ConnectionRegistry
    admin_token: str = field(repr=False)
    token_ttl: int
    jwt_key: bytes = field(repr=False)
    clock: Callable[[], float]
    """The sandbox's one wall clock (epoch seconds): token issuing and checking, signing, timestamps, `Date`."""


@dataclass(frozen=True)
class _Admitted:
    """A certificate request that passed every check up to frontdoor access."""

    principal: Principal
    frontdoor_id: str
    rep: Representation
    given: CertificateInput


Handler = Callable[[Request], Awaitable[Response]]


class SandboxApi:
    """Request handlers; state lives in the store, so the object itself only holds configuration."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = config.store

    async def _admit(self, request: Request, body: Literal["complete", "partial"] | None = None) -> _Admitted:
        """Spring's checks, in its order, up to frontdoor access: authentication (401), the frontdoorId path
        variable (400), Accept (406), then, for a `body`, Content-Type and body (415/400), then access (403)."""
        authorization = request.headers.get("authorization")
        principal = auth.authenticate(authorization, self.store, jwt_key=self.config.jwt_key, now=self.config.clock())
        frontdoor_id = parse_frontdoor_id(str(request.path_params["frontdoor_id"]))
        rep = representation(request.headers.get("accept"))
        given = NO_INPUT
        if body is not None:
            given = certificate_input(await read_json(request), require_all=body == "complete")
        auth.authorize(principal, frontdoor_id)
        return _Admitted(principal, frontdoor_id, rep, given)

    def _stored_value(self, given: CertificateInput) -> str | None:
        """The value to store: an uploaded certificate as given, a CSR replaced by the certificate signed from it."""
        parsed = checked_value(given)
        if isinstance(parsed, CertificateRequest):
            now = datetime.fromtimestamp(self.config.clock(), UTC)
            return certificate_pem(self.config.ca.sign_csr(parsed.csr, now=now))
        return given.value

    # certificate endpoints ----------------------------------------------------------------------------

    async def list_certificates(self, request: Request) -> Response:
        call = await self._admit(request)
        page, size = page_request(request.query_params.get("page"), request.query_params.get("size"))
        # Spring Data checks sort properties when it builds the query, i.e. after the access check.
        orders = sort_orders(request.query_params.getlist("sort"))
        rows, total = self.store.list_certificates(call.frontdoor_id, orders, page * size, size)
        return page_response(request, call.rep, call.frontdoor_id, rows, total, page=page, size=size, orders=orders)

    async def create_certificate(self, request: Request) -> Response:
        call = await self._admit(request, body="complete")
        value = self._stored_value(call.given)
        assert call.given.name is not None
        assert value is not None
        row = self.store.insert_certificate(call.frontdoor_id, call.given.name, value, call.principal.username)
        return one_response(request, call.rep, summary_json(row), status=201)

    async def get_certificate(self, request: Request) -> Response:
        call = await self._admit(request)
        cert_id = _cert_id(request)
        row = self.store.get_certificate(call.frontdoor_id, cert_id)
        if row is None:
            _not_found(cert_id)
        return one_response(request, call.rep, detail_json(row))

    async def patch_certificate(self, request: Request) -> Response:
        return await self._update(request, body="partial")

    async def put_certificate(self, request: Request) -> Response:
        return await self._update(request, body="complete")

    async def _update(self, request: Request, *, body: Literal["complete", "partial"]) -> Response:
        # PATCH and PUT answer with the updated resource in the GET shape (value included): the usual
        # Spring controller returns the same DTO it serves on GET.
        call = await self._admit(request, body=body)
        cert_id = _cert_id(request)
        if self.store.get_certificate(call.frontdoor_id, cert_id) is None:
            _not_found(cert_id)
        value = self._stored_value(call.given)
        username = call.principal.username
        row = self.store.update_certificate(call.frontdoor_id, cert_id, username, name=call.given.name, value=value)
        if row is None:  # deleted by someone else between the two statements
            _not_found(cert_id)
        return one_response(request, call.rep, detail_json(row))

    async def delete_certificate(self, request: Request) -> Response:
        call = await self._admit(request)  # Accept is negotiated all the same: a 406 deletes nothing
        cert_id = _cert_id(request)
        row = self.store.delete_certificate(call.frontdoor_id, cert_id, call.principal.username)
        if row is None:
            _not_found(cert_id)
        # The deleted resource has no self link to give, so both representations carry the guide's body.
        return json_response(200, deleted_json(row))

    # OAuth2 client credentials -------------------------------------------------------------------------

    async def oauth_token(self, request: Request) -> Response:
        body = await read_body(request)
        return auth.token_response(
            body,
            request.headers.get("authorization"),
            self.store,
            jwt_key=self.config.jwt_key,
            token_ttl=self.config.token_ttl,
            now=self.config.clock(),
        )

    # documents and sandbox control -------------------------------------------------------------------

    async def openapi(self, request: Request) -> Response:
        return json_response(200, openapi_document(str(request.base_url).rstrip("/")))

    def _admin(self, request: Request) -> None:
        auth.check_admin(request.headers.get(ADMIN_HEADER, ""), self.config.admin_token)

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


def _cert_id(request: Request) -> str:
    return str(request.path_params["certificate_id"])


def _not_found(cert_id: str) -> NoReturn:
    raise ApiError(404, "not_found", f"Client certificate {cert_id} not found")


def _by_method(**handlers: Handler) -> Handler:
    """One endpoint per path dispatching on method, so a 405 carries the path's full Allow list."""

    async def endpoint(request: Request) -> Response:
        # HEAD is served by the GET handler (Starlette adds HEAD to a route that has GET; so does Spring).
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return endpoint


def build_app(config: SandboxConfig) -> ASGIApp:
    api = SandboxApi(config)
    collection = "/frontdoor/{frontdoor_id}/client-certificates"
    item = collection + "/{certificate_id}"
    routes = [
        Route(collection, _by_method(GET=api.list_certificates, POST=api.create_certificate), methods=["GET", "POST"]),
        Route(
            item,
            _by_method(
                GET=api.get_certificate,
                PATCH=api.patch_certificate,
                PUT=api.put_certificate,
                DELETE=api.delete_certificate,
            ),
            methods=["GET", "PATCH", "PUT", "DELETE"],
        ),
        Route("/oauth/token", api.oauth_token, methods=["POST"]),
        Route("/openapi.json", api.openapi, methods=["GET"]),
        Route(
            "/_sandbox/faults",
            _by_method(GET=api.list_faults, POST=api.add_fault, DELETE=api.clear_faults),
            methods=["GET", "POST", "DELETE"],
        ),
        Route(
            "/_sandbox/requests",
            _by_method(GET=api.list_requests, DELETE=api.clear_requests),
            methods=["GET", "DELETE"],
        ),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={ApiError: api_error, HTTPException: http_error, Exception: server_error},
    )
    # Spring 6 no longer matches a trailing slash; Starlette would redirect it. Neither redirects here.
    app.router.redirect_slashes = False
    return FaultMiddleware(app, config.faults, config.connections, config.clock)
