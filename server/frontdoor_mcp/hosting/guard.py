"""The outermost layer of the HTTP app, before any token is looked at: the Host and Origin checks (421, 403),
then the request body, capped (413) and read against a deadline (408), so neither a DNS-rebinding page nor a
slow or huge upload gets as far as authentication.

The checks are the SDK's own (`TransportSecurityMiddleware.validate_request`), with the settings made
explicit (`options`): here they cover every route, the metadata one included, not only the MCP endpoint.
"""

from __future__ import annotations

from typing import Final

import anyio
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY_DEADLINE_S: Final = 30.0
"""The longest a client may take to send a request body; a request of a megabyte at most needs far less."""


class RequestGuard:
    def __init__(
        self, app: ASGIApp, *, security: TransportSecuritySettings, max_body_bytes: int, body_deadline_s: float
    ) -> None:
        self._app = app
        self._checks = TransportSecurityMiddleware(security)
        self._max_body_bytes = max_body_bytes
        self._body_deadline_s = body_deadline_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        refusal = await self._checks.validate_request(Request(scope), is_post=False)
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
