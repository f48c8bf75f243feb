"""The outermost layer of the HTTP app, before any token is looked at: the Host and Origin checks (421, 403),
then the request body, capped (413) and read against a deadline (408), so neither a DNS-rebinding page nor a
slow or huge upload gets as far as authentication.

The Host and Origin allow lists are the SDK's settings (`TransportSecuritySettings`), checked here on every
route, the metadata one included, not only the MCP endpoint, and more strictly than the SDK's own check: a
`name:*` entry admits `name:<port>` with a numeric port only (the SDK's admits any text after `name:`, so
`Host: 127.0.0.1:evil.example` passed).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

import anyio
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY_DEADLINE_S: Final = 30.0
"""The longest a client may take to send a request body; a request of a megabyte at most needs far less."""
_PORT: Final = re.compile(r"[0-9]{1,5}")


def allowed(value: str, entries: Sequence[str]) -> bool:
    """Whether a Host (or Origin) value is allowed: equal to an entry, or, for an entry ending in `:*`, its
    name followed by `:` and a port number (digits, and nothing else)."""
    for entry in entries:
        if value == entry:
            return True
        if entry.endswith(":*"):
            name, separator, port = value.rpartition(":")
            if separator and name == entry[:-2] and _PORT.fullmatch(port):
                return True
    return False


class RequestGuard:
    def __init__(
        self, app: ASGIApp, *, security: TransportSecuritySettings, max_body_bytes: int, body_deadline_s: float
    ) -> None:
        self._app = app
        self._security = security
        self._max_body_bytes = max_body_bytes
        self._body_deadline_s = body_deadline_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        refusal = self._refusal(Request(scope))
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self._max_body_bytes:
            await _plain(413, "Request body too large")(scope, receive, send)
            return
        replay: Receive | None = None
        with anyio.move_on_after(self._body_deadline_s) as deadline:
            replay = await self._buffered(receive)
        if deadline.cancelled_caught:
            await _plain(408, "Request body not received in time")(scope, receive, send)
            return
        if replay is None:
            await _plain(413, "Request body too large")(scope, receive, send)
            return
        await self._app(scope, replay, send)

    def _refusal(self, request: Request) -> Response | None:
        """421 for a Host not allowed (a DNS-rebinding page reaching a loopback server), 403 for an Origin
        not allowed (a request without an Origin comes from no browser page: it passes)."""
        if not self._security.enable_dns_rebinding_protection:
            return None
        host = request.headers.get("host")
        if not host or not allowed(host, self._security.allowed_hosts):
            return _plain(421, "Invalid Host header")
        origin = request.headers.get("origin")
        if origin and not allowed(origin, self._security.allowed_origins):
            return _plain(403, "Invalid Origin header")
        return None

    async def _buffered(self, receive: Receive) -> Receive | None:
        """The body read whole (None past the cap), and a `receive` that hands it on, then the live one."""
        body = bytearray()
        first: Message | None = None
        while True:
            message = await receive()
            if message["type"] != "http.request":
                first = message
                break
            body.extend(message.get("body", b""))
            if len(body) > self._max_body_bytes:
                return None
            if not message.get("more_body", False):
                break
        pending: list[Message] = [{"type": "http.request", "body": bytes(body), "more_body": False}]
        if first is not None:
            pending.append(first)

        async def replay() -> Message:
            return pending.pop(0) if pending else await receive()

        return replay


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _plain(status: int, text: str) -> Response:
    return Response(text, status_code=status, media_type="text/plain", headers={"connection": "close"})
