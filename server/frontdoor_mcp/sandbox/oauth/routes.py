"""The sandbox as an OAuth 2 authorization server: the client-credentials token endpoint (RFC 6749 4.4, with
RFC 8707 resource indicators), its JWKS, and its RFC 8414 metadata.

Tokens are ES256 JWTs (`issuer.SigningKey`) whose `iss` is the sandbox's root URL. `aud` is the `resource`
asked for, else "frontdoor", the one audience the sandbox's own API accepts: a token an MCP server under test
asked for (its own URL as resource) cannot be replayed against the API. Errors are in RFC 6749 5.2's shape.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from frontdoor_mcp.sandbox.access import BASIC, basic_credentials
from frontdoor_mcp.sandbox.oauth.signing_key import API_AUDIENCE
from frontdoor_mcp.sandbox.storage.store import OAuthClient
from frontdoor_mcp.sandbox.web.endpoint import SandboxConfig
from frontdoor_mcp.sandbox.web.responses import json_response
from frontdoor_mcp.sandbox.web.validation import read_body

IGNORE_SCOPE = "https://gateway.production.netfoundry.io//ignore-scope"
"""What NetFoundry's own clients ask for: a placeholder meaning "the client's usual scopes"."""
TOKEN_PATH = "/oauth/token"  # noqa: S105 (a path)
JWKS_PATH = "/.well-known/jwks.json"
METADATA_PATH = "/.well-known/oauth-authorization-server"
AUTHORIZE_PATH = "/oauth/authorize"
# RFC 6749 5.1: a token response, and its errors, must not be cached.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class _OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


class OAuthRoutes:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = config.store

    async def token(self, request: Request) -> Response:
        try:
            form = _form(await read_body(request))
            client_id, client = self._client(request.headers.get("authorization"), form)
            grant = _one(form, "grant_type")
            if grant is None:
                raise _OAuthError(400, "invalid_request", "grant_type is required")
            if grant != "client_credentials":
                raise _OAuthError(400, "unsupported_grant_type", "Only client_credentials is supported")
            scope = _granted_scope(_one(form, "scope"), client.scopes)
            audience = _audience(form.get("resource", []))
        except _OAuthError as exc:
            return _oauth_error(exc)
        now = self.config.clock()
        claims: dict[str, Any] = {
            "iss": self.config.issuer,
            "sub": client_id,
            "client_id": client_id,
            "aud": audience,
            "iat": int(now),
            "exp": math.ceil(now + self.config.token_ttl),
            "jti": secrets.token_hex(8),
            "scope": scope,
        }
        body = {
            "access_token": self.config.signing_key.mint(claims),
            "token_type": "Bearer",
            "expires_in": self.config.token_ttl,
            "scope": scope,  # RFC 6749 5.1: required when it differs from what was asked, harmless otherwise
        }
        return json_response(200, body, headers=dict(_NO_STORE))

    def _client(self, header: str | None, form: dict[str, list[str]]) -> tuple[str, OAuthClient]:
        for candidate_id, secret in _client_credentials(header, form):
            client = self.store.oauth_client(candidate_id, secret) if candidate_id and secret is not None else None
            if client is not None and candidate_id is not None:
                return candidate_id, client
        raise _OAuthError(401, "invalid_client", "Client authentication failed")

    async def jwks(self, _request: Request) -> Response:
        return json_response(200, self.config.signing_key.jwks())

    async def metadata(self, _request: Request) -> Response:
        issuer = self.config.issuer
        return json_response(
            200,
            {
                "issuer": issuer,
                # RFC 8414 needs it only for grants that use it, but common parsers (the MCP SDK's
                # OAuthMetadata) require it: it is served, and refuses every response type.
                "authorization_endpoint": issuer + AUTHORIZE_PATH,
                "token_endpoint": issuer + TOKEN_PATH,
                "jwks_uri": issuer + JWKS_PATH,
                "grant_types_supported": ["client_credentials"],
                "response_types_supported": [],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "scopes_supported": self.store.oauth_scopes(),
            },
        )

    async def authorize(self, _request: Request) -> Response:
        error = _OAuthError(400, "unsupported_response_type", "Only the client_credentials grant is supported")
        return _oauth_error(error)


def _form(body: bytes) -> dict[str, list[str]]:
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return {}


def _one(form: dict[str, list[str]], key: str) -> str | None:
    values = form.get(key)
    return values[0] if values else None


def _granted_scope(requested: str | None, allowed: Sequence[str]) -> str:
    """The requested scopes the client may have (unknown ones dropped); none asked, or only NetFoundry's
    ignore-scope placeholder: the client's scopes. Asking only for scopes it may not have is invalid_scope
    (RFC 6749 5.2), not an empty grant."""
    asked = [scope for scope in dict.fromkeys((requested or "").split()) if scope != IGNORE_SCOPE]
    if not asked:
        return " ".join(allowed)
    granted = [scope for scope in asked if scope in allowed]
    if not granted:
        raise _OAuthError(400, "invalid_scope", "None of the requested scopes is allowed for this client")
    return " ".join(granted)


def _audience(resources: list[str]) -> str | list[str]:
    """RFC 8707: each `resource` an absolute URI without a fragment; the token's `aud` is the one given (a
    list when several are), else the API's own audience."""
    for resource in resources:
        parts = urlsplit(resource)
        if not parts.scheme or not (parts.netloc or parts.path) or parts.fragment:
            raise _OAuthError(400, "invalid_target", "resource must be an absolute URI without a fragment")
    unique = list(dict.fromkeys(resources))
    if not unique:
        return API_AUDIENCE
    return unique[0] if len(unique) == 1 else unique


def _client_credentials(header: str | None, form: dict[str, list[str]]) -> list[tuple[str | None, str | None]]:
    """The (client id, secret) pairs to try: client_secret_basic, else client_secret_post.

    Basic credentials are tried as sent and, if different, form-decoded. RFC 6749 2.3.1 says to form-encode
    them before base64, but most clients (NetFoundry's own Python client, via requests' HTTPBasicAuth, and
    ours) send them raw; accepting both lets a secret holding `+` or `%` work with either convention."""
    if header:
        match = BASIC.fullmatch(header)
        raw = basic_credentials(match) if match else None
        if raw is None:
            return []
        client_id, secret = raw
        form_decoded = (unquote_plus(client_id), unquote_plus(secret))
        return [raw] if form_decoded == raw else [raw, form_decoded]
    return [(_one(form, "client_id"), _one(form, "client_secret"))]


def _oauth_error(exc: _OAuthError) -> Response:
    headers = dict(_NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="frontdoor-sandbox"'
    return json_response(exc.status, {"error": exc.error, "error_description": exc.description}, headers=headers)
