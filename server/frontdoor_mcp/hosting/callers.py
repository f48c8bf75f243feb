"""Who is calling: the authenticated principal of the current HTTP request, as the SDK's auth context holds it."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Generator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Final

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, principal_components

_SHOWN: Final = re.compile(r"[^A-Za-z0-9._@:/+=-]")
MAX_SHOWN_CHARS: Final = 128
AUTH_LOGGER: Final = "frontdoor_mcp.auth"
REFUSAL_LOG_WINDOW_S: Final = 60.0
"""At most one line per reason for a refused token in this long: a client retrying a wrong token, or someone
guessing, would otherwise write a line per request."""
UNKNOWN_PEER: Final = "an unknown address"

_peer: ContextVar[str | None] = ContextVar("frontdoor_mcp_peer", default=None)


@contextmanager
def calling_from(address: str | None) -> Generator[None]:
    """While a request's token is verified: the address it came from (the ASGI scope's client, which uvicorn
    sets from the trusted proxy's header with --proxy-headers), for the refusal's log line."""
    reset = _peer.set(_SHOWN.sub("?", address)[:MAX_SHOWN_CHARS] if address else None)
    try:
        yield
    finally:
        _peer.reset(reset)


@dataclass
class _Quiet:
    since: float
    suppressed: int = 0


class RefusalLog:
    """A bearer token was presented and refused: a line on stderr saying why (a reason of ours, never the token,
    nor a claim of it: unverified, those name nobody) and from which address, so an operator can tell a wrong
    token from a missing one. The client gets 401 either way, with a description that says which.

    At most one line per reason per `window_s`; the next line after a quiet spell counts the refusals it did not
    log. The reasons are a handful of our own sentences, so what is kept per reason stays small."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, window_s: float = REFUSAL_LOG_WINDOW_S) -> None:
        self._clock = clock
        self._window_s = window_s
        self._quiet: dict[str, _Quiet] = {}

    def refused(self, reason: str) -> None:
        now = self._clock()
        quiet = self._quiet.get(reason)
        if quiet is not None and now - quiet.since < self._window_s:
            quiet.suppressed += 1
            return
        self._quiet[reason] = _Quiet(now)
        unlogged = quiet.suppressed if quiet is not None else 0
        logging.getLogger(AUTH_LOGGER).warning(
            "refused a bearer token (principal unknown) from %s: %s%s",
            _peer.get() or UNKNOWN_PEER,
            reason,
            f" (and {unlogged} more refused for this reason since the last such line, not logged)" if unlogged else "",
        )


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
