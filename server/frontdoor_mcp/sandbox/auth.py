"""Who may call: bearer and Basic credentials, HS256 JWTs, the OAuth2 token endpoint, the admin header.

Nothing here reads the clock: the caller passes `now` from the sandbox's one clock (`SandboxConfig.clock`,
set by `start_sandbox(clock=...)`), so token issuing and checking agree on the time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import secrets
from typing import Any, cast
from urllib.parse import parse_qs, unquote_plus

from starlette.responses import Response

from frontdoor_mcp.sandbox.responses import ApiError, json_response
from frontdoor_mcp.sandbox.store import Principal, Store

B64TOKEN = r"[a-zA-Z0-9\-._~+/]+=*"  # RFC 6750's b64token: what a bearer token may hold
# Spring Security's DefaultBearerTokenResolver pattern (RFC 6750 b64token), scheme case-insensitive.
_BEARER = re.compile(rf"^Bearer (?P<token>{B64TOKEN})$", re.IGNORECASE)
_BASIC = re.compile(r"^Basic (?P<credentials>[A-Za-z0-9+/]+=*)$", re.IGNORECASE)
JWT_SCOPE = "frontdoor.read frontdoor.write"
ADMIN_HEADER = "x-sandbox-admin"
# RFC 6749 5.1: a token response, and its errors, must not be cached.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _unauthorized(description: str | None) -> ApiError:
    # RFC 6750 section 3: a bare challenge when no credentials came, error="invalid_token" when bad ones did.
    challenge = "Bearer" if description is None else f'Bearer error="invalid_token", error_description="{description}"'
    return ApiError(401, "unauthorized", "Bearer token is missing or invalid", headers={"WWW-Authenticate": challenge})


# JWT (HS256) ---------------------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint_jwt(key: bytes, claims: dict[str, Any]) -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(key, f"{header}.{payload}".encode("ascii"), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


def verify_jwt(key: bytes, token: str, now: float) -> tuple[dict[str, Any] | None, str]:
    """(claims, "") for a valid unexpired HS256 token, else (None, reason)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None, "The access token is invalid"
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
        signature = _b64url_decode(parts[2])
    except (ValueError, binascii.Error):
        return None, "The access token is malformed"
    if not isinstance(header, dict) or cast(dict[str, object], header).get("alg") != "HS256":
        return None, "The access token is invalid"  # never "none", never another algorithm
    expected = hmac.new(key, f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected) or not isinstance(claims, dict):
        return None, "The access token is invalid"
    payload = cast(dict[str, Any], claims)
    exp = payload.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool) or now >= exp:
        return None, "The access token expired"
    return payload, ""


# checking credentials --------------------------------------------------------------------------------------


def authenticate(header: str | None, store: Store, *, jwt_key: bytes, now: float) -> Principal:
    """The principal of an `Authorization` header: a sandbox token (Bearer or Basic) or a JWT we issued."""
    if header is None or not header.strip():
        raise _unauthorized(None)
    bearer = _BEARER.match(header)
    if bearer:
        return _principal_for(bearer.group("token"), store, jwt_key, now)
    basic = _BASIC.match(header)
    if basic:
        # The guide puts the API token in the Basic password. The user-id is not checked: the token alone
        # identifies the user (createdBy comes from the token).
        credentials = _basic_credentials(basic)
        if credentials is None or not credentials[1]:
            raise _unauthorized("The Basic credentials are malformed")
        return _principal_for(credentials[1], store, jwt_key, now)
    raise _unauthorized("The Authorization header is malformed")


def _basic_credentials(basic: re.Match[str]) -> tuple[str, str] | None:
    """RFC 7617: base64(user-id ":" password), from a `_BASIC` match; None if not base64 UTF-8 or no colon."""
    try:
        decoded = base64.b64decode(basic.group("credentials"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user_id, colon, password = decoded.partition(":")
    return (user_id, password) if colon else None


def _principal_for(token: str, store: Store, jwt_key: bytes, now: float) -> Principal:
    principal = store.token_principal(token)
    if principal is not None:
        return principal
    if token.count(".") == 2:
        claims, reason = verify_jwt(jwt_key, token, now)
        if claims is None:
            raise _unauthorized(reason)
        client_id = claims.get("client_id", claims.get("sub"))
        principal = store.oauth_client(client_id) if isinstance(client_id, str) else None
        if principal is not None:
            return principal
    raise _unauthorized("The access token is invalid")


def authorize(principal: Principal, frontdoor_id: str) -> None:
    # The guide's 403 body: a frontdoor the token may not use is reported as not found.
    if frontdoor_id not in principal.frontdoor_ids:
        raise ApiError(403, "not_found", f"Frontdoor {frontdoor_id} not found")


def check_admin(given: str, admin_token: str) -> None:
    """The `/_sandbox` control plane takes the admin token in its own header, compared in constant time."""
    if not hmac.compare_digest(given.encode(), admin_token.encode()):
        raise ApiError(401, "unauthorized", "X-Sandbox-Admin header is missing or invalid")


# OAuth2 client credentials ---------------------------------------------------------------------------------


def token_response(
    form_body: bytes, header: str | None, store: Store, *, jwt_key: bytes, token_ttl: int, now: float
) -> Response:
    """The token endpoint's answer to a client_credentials request (RFC 6749 4.4), errors in its 5.2 shape."""
    try:
        form = parse_qs(form_body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        form = {}
    client_id, principal = None, None
    for candidate_id, secret in _client_credentials(header, form):
        principal = store.oauth_client(candidate_id, secret) if candidate_id and secret is not None else None
        if principal is not None:
            client_id = candidate_id
            break
    if principal is None or client_id is None:
        return _oauth_error(401, "invalid_client", "Client authentication failed")
    grant = form.get("grant_type", [None])[0]
    if grant is None:
        return _oauth_error(400, "invalid_request", "grant_type is required")
    if grant != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported")
    # Any requested scope is accepted and the frontdoor scopes granted: NetFoundry's own client asks
    # for an opaque "ignore-scope" scope and gets a usable token.
    claims = {
        "iss": "frontdoor-sandbox",
        "sub": client_id,
        "client_id": client_id,
        "aud": "frontdoor",
        "iat": int(now),
        "exp": math.ceil(now + token_ttl),
        "jti": secrets.token_hex(8),
        "scope": JWT_SCOPE,
    }
    token = mint_jwt(jwt_key, claims)
    return json_response(
        200, {"access_token": token, "token_type": "Bearer", "expires_in": token_ttl}, headers=dict(_NO_STORE)
    )


def _client_credentials(header: str | None, form: dict[str, list[str]]) -> list[tuple[str | None, str | None]]:
    """The (client id, secret) pairs to try: client_secret_basic, else client_secret_post.

    Basic credentials are tried as sent and, if different, form-decoded. RFC 6749 2.3.1 says to form-encode
    them before base64, but most clients (NetFoundry's own Python client, via requests' HTTPBasicAuth, and
    ours) send them raw; accepting both lets a secret holding `+` or `%` work with either convention."""
    if header:
        match = _BASIC.match(header)
        raw = _basic_credentials(match) if match else None
        if raw is None:
            return []
        client_id, secret = raw
        form_decoded = (unquote_plus(client_id), unquote_plus(secret))
        return [raw] if form_decoded == raw else [raw, form_decoded]
    return [(form.get("client_id", [None])[0], form.get("client_secret", [None])[0])]


def _oauth_error(status: int, error: str, description: str) -> Response:
    headers = dict(_NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="frontdoor-sandbox"'
    return json_response(status, {"error": error, "error_description": description}, headers=headers)
