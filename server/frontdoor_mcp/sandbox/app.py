"""The sandbox HTTP API: the route table, and the app that serves it behind the fault middleware.

The handlers live with their resource (`certificates.routes`, `request_tokens.routes`, `shares.routes`,
`oauth.routes`, `frontdoors`, `control`); what they share (configuration, Spring's admission checks) is
`web.endpoint`. Every error, the router's own included, leaves in the guide's error shape.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Route
from starlette.types import ASGIApp

from frontdoor_mcp.sandbox.certificates.routes import CertificateRoutes
from frontdoor_mcp.sandbox.control import ControlRoutes
from frontdoor_mcp.sandbox.faults.middleware import FaultMiddleware
from frontdoor_mcp.sandbox.frontdoors import FrontdoorRoutes
from frontdoor_mcp.sandbox.oauth.routes import AUTHORIZE_PATH, JWKS_PATH, METADATA_PATH, TOKEN_PATH, OAuthRoutes
from frontdoor_mcp.sandbox.request_tokens.routes import TokenRoutes
from frontdoor_mcp.sandbox.shares.routes import ShareRoutes
from frontdoor_mcp.sandbox.web.endpoint import SandboxConfig, by_method
from frontdoor_mcp.sandbox.web.responses import ErrorResponse, error_response, http_error, server_error

__all__ = ["SandboxConfig", "build_app"]

FRONTDOOR = "/frontdoor/{frontdoor_id}"


def _resource_routes(config: SandboxConfig) -> list[Route]:
    certificates = CertificateRoutes(config)
    tokens = TokenRoutes(config)
    shares = ShareRoutes(config)
    frontdoors = FrontdoorRoutes(config)

    def collection_and_item(path: str, item: str, routes: CertificateRoutes | TokenRoutes) -> list[Route]:
        return [
            Route(path, by_method(GET=routes.list_page, POST=routes.create), methods=["GET", "POST"]),
            Route(
                f"{path}/{{{item}}}",
                by_method(GET=routes.get, PATCH=routes.patch, PUT=routes.put, DELETE=routes.delete),
                methods=["GET", "PATCH", "PUT", "DELETE"],
            ),
        ]

    return [
        Route(FRONTDOOR, frontdoors.get, methods=["GET"]),
        *collection_and_item(f"{FRONTDOOR}/client-certificates", "certificate_id", certificates),
        # Two path segments after client-certificates: never taken for a certificate id (one segment).
        Route(f"{FRONTDOOR}/client-certificates/token/{{token}}", tokens.redeem, methods=["POST"]),
        *collection_and_item(f"{FRONTDOOR}/certificate-request-tokens", "token_id", tokens),
        Route(f"{FRONTDOOR}/shares", by_method(GET=shares.list_page, POST=shares.create), methods=["GET", "POST"]),
        Route(
            f"{FRONTDOOR}/shares/{{share_id}}",
            by_method(GET=shares.get, DELETE=shares.delete),
            methods=["GET", "DELETE"],
        ),
    ]


def _service_routes(config: SandboxConfig) -> list[Route]:
    oauth = OAuthRoutes(config)
    control = ControlRoutes(config)
    return [
        Route(TOKEN_PATH, oauth.token, methods=["POST"]),
        Route(JWKS_PATH, oauth.jwks, methods=["GET"]),
        Route(METADATA_PATH, oauth.metadata, methods=["GET"]),
        Route(AUTHORIZE_PATH, oauth.authorize, methods=["GET", "POST"]),
        Route("/openapi.json", control.openapi, methods=["GET"]),
        Route(
            "/_sandbox/faults",
            by_method(GET=control.list_faults, POST=control.add_fault, DELETE=control.clear_faults),
            methods=["GET", "POST", "DELETE"],
        ),
        Route(
            "/_sandbox/requests",
            by_method(GET=control.list_requests, DELETE=control.clear_requests),
            methods=["GET", "DELETE"],
        ),
        Route("/_sandbox/connections", control.list_connections, methods=["GET"]),
        Route("/_sandbox/paging", by_method(GET=control.get_paging, PUT=control.set_paging), methods=["GET", "PUT"]),
    ]


def build_app(config: SandboxConfig) -> ASGIApp:
    app = Starlette(
        routes=[*_resource_routes(config), *_service_routes(config)],
        exception_handlers={ErrorResponse: error_response, HTTPException: http_error, Exception: server_error},
    )
    # Spring 6 no longer matches a trailing slash; Starlette would redirect it. Neither redirects here.
    app.router.redirect_slashes = False
    return FaultMiddleware(app, config.faults, config.connections, config.clock)
