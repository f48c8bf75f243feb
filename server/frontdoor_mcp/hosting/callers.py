"""Who is calling: the authenticated principal of the current HTTP request, as the SDK's auth context holds it."""

from __future__ import annotations

import re
from typing import Final

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, principal_components

_SHOWN: Final = re.compile(r"[^A-Za-z0-9._@:/+=-]")
MAX_SHOWN_CHARS: Final = 128


def current_token() -> AccessToken | None:
    return get_access_token()


def caller_name(token: AccessToken | None) -> str:
    """How a log line names the principal: a tokens-file label, or a JWT's subject (else its client id).
    Anything unusual in it is replaced, so an issuer's claim cannot forge a log line; never the token."""
    if token is None:
        return "anonymous"
    name = token.subject or token.client_id
    return _SHOWN.sub("?", name)[:MAX_SHOWN_CHARS] or "?"


def caller_key(token: AccessToken) -> str:
    """What tells principals apart (the SDK's own triple: client, issuer, subject), for per-caller limits."""
    client, issuer, subject = principal_components(token)
    return f"{issuer or ''}\x00{client}\x00{subject or ''}"


def held_scopes(token: AccessToken | None) -> frozenset[str]:
    return frozenset(token.scopes) if token is not None else frozenset()
