"""Who is calling: the authenticated principal of the current HTTP request, as the SDK's auth context holds it."""

from __future__ import annotations

import logging
import re
from typing import Final

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, principal_components

_SHOWN: Final = re.compile(r"[^A-Za-z0-9._@:/+=-]")
MAX_SHOWN_CHARS: Final = 128
AUTH_LOGGER: Final = "frontdoor_mcp.auth"


def log_refused_token(reason: str) -> None:
    """A bearer token was presented and refused: one line on stderr saying why (a reason of ours, never the
    token, nor a claim of it: unverified, those name nobody), so an operator can tell a wrong token from a missing
    one. The client gets 401 either way, with a description that says which."""
    logging.getLogger(AUTH_LOGGER).warning("refused a bearer token (principal unknown): %s", reason)


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
