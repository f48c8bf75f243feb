"""The HTTP app: the MCP server (remote variant: nothing of the server's disk) served as streamable HTTP in
both protocol eras, behind, from the outside in:

1. `RequestGuard`: Host and Origin allow lists (421/403), the body cap and its deadline (413/408);
2. the SDK's bearer authentication (`BearerAuthBackend` over our `TokenVerifier`, `AuthContextMiddleware`);
3. the SDK's `RequireAuthMiddleware` on the MCP endpoint (401 with `WWW-Authenticate`, pointing to the
   protected-resource metadata in issuer mode);
4. `CallerRateLimit` per principal (429 with `Retry-After`);
5. the SDK's session manager, whose server runs the argument gate, then `AuditTrail` and `ScopeGate`.

The SDK's own `streamable_http_app()` puts its Host check inside the transport, after authentication, and
has no place for a per-principal limit; so the app is assembled here from the same public pieces, in this
order. `streamable_http_app()` is still what configures the session manager (`MCPServer.session_manager`,
the documented seam for mounting it in another app); the Starlette app it returns is not used.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any, Final

from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser, BearerAuthBackend, RequireAuthMiddleware
from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.routes import build_resource_metadata_url, create_protected_resource_routes
from mcp.server.auth.settings import AuthSettings
from mcp.server.request_state import RequestStateSecurity
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from frontdoor_mcp.config import ConfigError, Settings
from frontdoor_mcp.hosting.audit import AuditTrail
from frontdoor_mcp.hosting.callers import RefusalLog, calling_from
from frontdoor_mcp.hosting.guard import BODY_DEADLINE_S, RequestGuard
from frontdoor_mcp.hosting.issuer_tokens import IssuerTokenVerifier
from frontdoor_mcp.hosting.options import SCOPES, HostingOptions, IssuerAuth, TokenFileAuth
from frontdoor_mcp.hosting.rate_limit import CallerBuckets, CallerRateLimit
from frontdoor_mcp.hosting.scopes import ScopeGate
from frontdoor_mcp.hosting.token_file import TokenFileVerifier
from frontdoor_mcp.prompt_library import offered_prompts
from frontdoor_mcp.server import FrontdoorServer, build_server, tool_definitions
from frontdoor_mcp.toolkit.definition import ToolDef, offered

SESSION_IDLE_TIMEOUT_S: Final = 15 * 60
"""A stateful session nobody has used for this long is closed (the client then starts a new one)."""
MAX_SESSIONS: Final = 1_000
"""Open stateful sessions per process; past it a new session is 503 until one ends."""


class ExplainedRequireAuth(RequireAuthMiddleware):
    """The SDK's 401, saying which of the two it is: no bearer token was sent, or the one sent was refused (the
    server's log says why; the answer does not, so it teaches a guesser nothing). With no token, the challenge
    carries no error code (RFC 6750, section 3.1: a request without credentials gets none); the SDK's sends
    `invalid_token` either way."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not isinstance(scope.get("user"), AuthenticatedUser):
            if Headers(scope=scope).get("authorization", "").lower().startswith("bearer "):
                description = "The bearer token was not accepted (unknown, expired, or not for this server)"
                await self._send_auth_error(send, status_code=401, error="invalid_token", description=description)
            else:
                await self._send_challenge(send, "Authentication required: send Authorization: Bearer <token>")
            return
        await super().__call__(scope, receive, send)

    async def _send_challenge(self, send: Send, description: str) -> None:
        metadata = self.resource_metadata_url
        challenge = f'Bearer resource_metadata="{metadata}"' if metadata else "Bearer"
        body = json.dumps({"error_description": description}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", challenge.encode()),
        ]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class PeerNamingBearerBackend(BearerAuthBackend):
    """The SDK's bearer authentication, with the request's address known while its token is verified: a refusal's
    log line names it (`callers.calling_from`)."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, AuthenticatedUser] | None:
        with calling_from(conn.client.host if conn.client else None):
            return await super().authenticate(conn)


def served_settings(settings: Settings, options: HostingOptions) -> Settings:
    """Writes are registered only with `--allow-writes`, and never in read-only mode."""
    if options.allow_writes and settings.read_only:
        raise ConfigError(
            "--allow-writes (FRONTDOOR_MCP_HTTP_ALLOW_WRITES) and --read-only (FRONTDOOR_MCP_READ_ONLY) contradict "
            "each other; choose one."
        )
    return dataclasses.replace(settings, read_only=not options.allow_writes)


def offered_over_http(settings: Settings, options: HostingOptions) -> list[ToolDef]:
    """The tools the HTTP app offers, before scopes: the remote variants of the settings' toolsets, the write
    tools only with --allow-writes."""
    served = served_settings(settings, options)
    return offered(tool_definitions().values(), read_only=served.read_only, remote=True, toolsets=served.toolsets)


def token_verifier(options: HostingOptions, refusals: RefusalLog | None = None) -> TokenVerifier:
    if isinstance(options.auth, TokenFileAuth):
        return TokenFileVerifier(options.auth.path, refusals=refusals)
    return IssuerTokenVerifier(options.auth, refusals=refusals)


def auth_settings(auth: IssuerAuth) -> AuthSettings:
    """The SDK's description of a resource server: its URL (the audience), its issuer, its scopes."""
    return AuthSettings(
        issuer_url=AnyHttpUrl(auth.issuer),
        resource_server_url=AnyHttpUrl(auth.resource_url),
        required_scopes=None,  # per tool, in ScopeGate; the endpoint itself needs only a valid token
        validate_token_resource=True,
    )


def build_http_app(
    settings: Settings,
    options: HostingOptions,
    *,
    verifier: TokenVerifier | None = None,
    clock: Callable[[], float] = time.monotonic,
    **server_kwargs: Any,
) -> Starlette:
    """The ASGI app for `options`. `verifier` replaces the one `options.auth` names (tests), `clock` the rate
    limiter's and the refusal log's; `server_kwargs` go to `build_server` (a test's transport to the API, say)."""
    tools = offered_over_http(settings, options)
    settings = served_settings(settings, options)
    known = list(tool_definitions())
    prompts = {
        prompt.name: prompt.tools_named(known)
        for prompt in offered_prompts(
            offered_tools=[tool.name for tool in tools], all_tools=known, read_only=settings.read_only, remote=True
        )
    }
    server_options: dict[str, Any] = {}
    if options.state_keys:
        server_options["request_state_security"] = RequestStateSecurity(keys=list(options.state_keys))
    server: FrontdoorServer = build_server(
        settings,
        remote=True,
        middleware=[AuditTrail(tools, default_frontdoor=settings.frontdoor_id), ScopeGate(tools, prompts)],
        server_options=server_options,
        **server_kwargs,
    )
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=list(options.allowed_hosts),
        allowed_origins=list(options.allowed_origins),
    )
    server.streamable_http_app(
        streamable_http_path=options.path,
        stateless_http=options.stateless,
        transport_security=security,
        max_request_body_size=options.max_body_bytes,
        session_idle_timeout=SESSION_IDLE_TIMEOUT_S,
        max_sessions=MAX_SESSIONS,
    )
    manager = server.session_manager
    buckets = CallerBuckets(per_minute=options.rate_per_minute, burst=options.rate_burst, clock=clock)
    routes: list[BaseRoute] = []
    metadata_url: AnyHttpUrl | None = None
    resource_url: AnyHttpUrl | None = None
    if isinstance(options.auth, IssuerAuth):
        described = auth_settings(options.auth)
        resource_url = described.resource_server_url
        assert resource_url is not None
        metadata_url = build_resource_metadata_url(resource_url)
        routes.extend(create_protected_resource_routes(resource_url, [described.issuer_url], list(SCOPES)))
    endpoint = ExplainedRequireAuth(CallerRateLimit(StreamableHTTPASGIApp(manager), buckets), [], metadata_url)
    routes.insert(0, Route(options.path, endpoint=endpoint))
    backend = PeerNamingBearerBackend(
        verifier or token_verifier(options, RefusalLog(clock=clock)), resource_server_url=resource_url
    )
    middleware = [
        Middleware(
            RequestGuard,
            security=security,
            max_body_bytes=options.max_body_bytes,
            body_deadline_s=BODY_DEADLINE_S,
        ),
        Middleware(AuthenticationMiddleware, backend=backend),
        Middleware(AuthContextMiddleware),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lambda _app: manager.run())
