"""Who may call: bearer and Basic credentials, the sandbox's own JWTs, frontdoor access, the admin header.

Nothing here reads the clock: the caller passes `now` from the sandbox's one clock (`SandboxConfig.clock`,
set by `start_sandbox(clock=...)`), so token issuing and checking agree on the time. The token endpoint
that issues the JWTs is `oauth.routes`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re

from frontdoor_mcp.sandbox.oauth.signing_key import SigningKey
from frontdoor_mcp.sandbox.storage.store import Principal, Store
from frontdoor_mcp.sandbox.web.responses import ErrorResponse

B64TOKEN = r"[a-zA-Z0-9\-._~+/]+=*"  # RFC 6750's b64token: what a bearer token may hold
# Spring Security's DefaultBearerTokenResolver pattern (RFC 6750 b64token), scheme case-insensitive.
_BEARER = re.compile(rf"^Bearer (?P<token>{B64TOKEN})$", re.IGNORECASE)
BASIC = re.compile(r"^Basic (?P<credentials>[A-Za-z0-9+/]+=*)$", re.IGNORECASE)
ADMIN_HEADER = "x-sandbox-admin"


def _unauthorized(description: str | None) -> ErrorResponse:
    # RFC 6750 section 3: a bare challenge when no credentials came, error="invalid_token" when bad ones did.
    challenge = "Bearer" if description is None else f'Bearer error="invalid_token", error_description="{description}"'
    return ErrorResponse(
        401, "unauthorized", "Bearer token is missing or invalid", headers={"WWW-Authenticate": challenge}
    )


def authenticate(header: str | None, store: Store, *, key: SigningKey, issuer: str, now: float) -> Principal:
    """The principal of an `Authorization` header: a sandbox token (Bearer or Basic) or a JWT we issued."""
    if header is None or not header.strip():
        raise _unauthorized(None)
    bearer = _BEARER.fullmatch(header)
    if bearer:
        return _principal_for(bearer.group("token"), store, key, issuer, now)
    basic = BASIC.fullmatch(header)
    if basic:
        # The guide puts the API token in the Basic password. The user-id is not checked: the token alone
        # identifies the user (createdBy comes from the token).
        credentials = basic_credentials(basic)
        if credentials is None or not credentials[1]:
            raise _unauthorized("The Basic credentials are malformed")
        return _principal_for(credentials[1], store, key, issuer, now)
    raise _unauthorized("The Authorization header is malformed")


def basic_credentials(basic: re.Match[str]) -> tuple[str, str] | None:
    """RFC 7617: base64(user-id ":" password), from a `BASIC` match; None if not base64 UTF-8 or no colon."""
    try:
        decoded = base64.b64decode(basic.group("credentials"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user_id, colon, password = decoded.partition(":")
    return (user_id, password) if colon else None


def _principal_for(token: str, store: Store, key: SigningKey, issuer: str, now: float) -> Principal:
    principal = store.token_principal(token)
    if principal is not None:
        return principal
    if token.count(".") == 2:
        claims, reason = key.verify(token, now=now, issuer=issuer)
        if claims is None:
            raise _unauthorized(reason)
        client_id = claims.get("client_id", claims.get("sub"))
        client = store.oauth_client(client_id) if isinstance(client_id, str) else None
        if client is not None:
            return client.principal
    raise _unauthorized("The access token is invalid")


def authorize(principal: Principal, frontdoor_id: str) -> None:
    # The guide's 403 body: a frontdoor the token may not use is reported as not found.
    if frontdoor_id not in principal.frontdoor_ids:
        raise ErrorResponse(403, "not_found", f"Frontdoor {frontdoor_id} not found")


def check_admin(given: str, admin_token: str) -> None:
    """The `/_sandbox` control plane takes the admin token in its own header, compared in constant time."""
    if not hmac.compare_digest(given.encode(), admin_token.encode()):
        raise ErrorResponse(401, "unauthorized", "X-Sandbox-Admin header is missing or invalid")
