"""Applying the faults: the outermost layer of the sandbox app, and the request log and `Date` header.

`FaultMiddleware` asks the `FaultController` what to do with each request, does it, stamps `Date` on
every response and records every request. The `/_sandbox` control endpoints pass through untouched.
`Date` and the log's times come from the sandbox's clock (`start_sandbox(clock=...)`); a clock_offset
fault shifts `Date` from that clock, so a test that moves the clock moves `Date` with the tokens and
timestamps, and a clock_offset fault still skews `Date` alone.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import cast

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdoor_mcp.sandbox.faults.controller import Fault, FaultController, FaultKind, RequestRecord
from frontdoor_mcp.sandbox.web.token_masking import redact_path

ADMIN_PREFIX = "/_sandbox"
_DROP_WAIT_S = 2.0
_MALFORMED_BODY = b'{"content": [{"id": "cert-<<sandbox fault: this body is not JSON>>'

_STATUS_ERRORS = {429: "too_many_requests", 500: "internal_error", 503: "service_unavailable"}
_ANSWERED_INSTEAD: frozenset[FaultKind] = frozenset({"status", "html_error", "rate_limit"})


class ConnectionRegistry:
    """Transports of open connections by client address, so a fault can drop one without any response.

    ASGI gives an app no way to close its connection silently (uvicorn answers 500 to an app that fails
    before responding), so the sandbox's uvicorn protocol (`web.server_thread`) registers each transport here
    and a drop aborts it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._transports: dict[tuple[str, int], asyncio.Transport] = {}

    def add(self, client: tuple[str, int] | None, transport: asyncio.Transport) -> None:
        if client is not None:
            with self._lock:
                self._transports[client] = transport

    def discard(self, client: tuple[str, int] | None, transport: asyncio.Transport) -> None:
        if client is not None:
            with self._lock:
                if self._transports.get(client) is transport:
                    del self._transports[client]

    def abort(self, client: tuple[str, int] | None) -> bool:
        with self._lock:
            transport = self._transports.get(client) if client is not None else None
        if transport is None:
            return False
        transport.abort()
        return True

    def abort_all(self) -> None:
        with self._lock:
            transports = list(self._transports.values())
        for transport in transports:
            transport.abort()


@dataclass(frozen=True)
class _Exchange:
    """One request on its way through the faults: the ASGI triple, the Date skew, and how to log it."""

    scope: Scope
    receive: Receive
    send: Send
    offset: float
    log: Callable[[int | None], None]


def http_date(epoch_s: float) -> str:
    """RFC 7231 IMF-fixdate, e.g. `Mon, 15 Jan 2024 10:30:00 GMT`."""
    return formatdate(epoch_s, usegmt=True)


def _with_date(message: Message, epoch_s: float) -> Message:
    headers = [(k, v) for k, v in cast(list[tuple[bytes, bytes]], message.get("headers", [])) if k.lower() != b"date"]
    headers.append((b"date", http_date(epoch_s).encode("ascii")))
    return {**message, "headers": headers}


def _set_length(headers: list[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    kept.append((b"content-length", str(length).encode("ascii")))
    return kept


class FaultMiddleware:
    """Pure ASGI middleware: applies faults, stamps `Date` on every response, records every request."""

    def __init__(
        self, app: ASGIApp, controller: FaultController, connections: ConnectionRegistry, clock: Callable[[], float]
    ) -> None:
        self.app = app
        self.controller = controller
        self.connections = connections
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope["path"])
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            # The control plane is neither faulted nor logged: it must work to undo faults and read the log.
            await self.app(scope, receive, self._dated(send, 0.0, None))
            return
        method = str(scope["method"])
        started = self.clock()
        plan = self.controller.take(method, path, now=started)
        outcome = plan.outcome
        kind: FaultKind | None = outcome.kind if outcome else (plan.clock.kind if plan.clock else None)
        if plan.latency is not None:
            kind = kind or "latency"
            await asyncio.sleep(plan.latency.latency_s)
        # The log shows the path with any request token masked, as an access log would.
        logged_path = redact_path(path)

        def log(status: int | None) -> None:
            self.controller.record(RequestRecord(method, logged_path, status, started, kind))

        exchange = _Exchange(scope, receive, send, plan.clock.clock_offset_s if plan.clock else 0.0, log)
        if outcome is None:
            await self._pass_through(exchange)
        elif outcome.kind == "drop_before":
            log(None)
            await self._drop(scope, receive)
        elif outcome.kind in _ANSWERED_INSTEAD:
            await self._answer_instead(exchange, outcome)
        else:
            await self._alter_response(exchange, outcome)

    async def _pass_through(self, exchange: _Exchange) -> None:
        """No outcome fault: the app answers, dated (and skewed by a clock_offset fault)."""
        logged: list[bool] = []

        def log_once(status: int) -> None:
            # Logged before the first byte goes out, so a client that has its answer sees it in the log.
            if not logged:
                logged.append(True)
                exchange.log(status)

        try:
            await self.app(exchange.scope, exchange.receive, self._dated(exchange.send, exchange.offset, log_once))
        finally:
            log_once(500)

    async def _answer_instead(self, exchange: _Exchange, outcome: Fault) -> None:
        """status, html_error, rate_limit: the fault answers and the app never sees the request."""
        await _drain(exchange.receive)
        status, headers, body = _fault_response(outcome)
        exchange.log(status)
        await self._send(exchange.send, status, headers, body, exchange.offset)

    async def _alter_response(self, exchange: _Exchange, outcome: Fault) -> None:
        """drop_after, malformed_json, truncated_json: the app runs (its write commits), its answer is
        buffered, then lost or spoilt."""
        captured = _Captured()
        try:
            await self.app(exchange.scope, exchange.receive, captured.send)
        finally:
            if outcome.kind == "drop_after":
                exchange.log(None)
        if outcome.kind == "drop_after":
            await self._drop(exchange.scope, exchange.receive)
            return
        status, headers, body = captured.status, captured.headers, captured.body
        if outcome.kind == "malformed_json":
            status, body = 200, _MALFORMED_BODY
            headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
            headers.append((b"content-type", b"application/json"))
        else:  # truncated_json: a well-framed HTTP message whose JSON stops halfway
            body = body[: len(body) // 2]
        exchange.log(status)
        await self._send(exchange.send, status, _set_length(headers, len(body)), body, exchange.offset)

    def _dated(self, send: Send, offset: float, on_status: Callable[[int], None] | None) -> Send:
        async def dated_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                if on_status is not None:
                    on_status(int(message["status"]))
                message = _with_date(message, self.clock() + offset)
            await send(message)

        return dated_send

    async def _send(
        self, send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes, offset: float
    ) -> None:
        start: Message = {"type": "http.response.start", "status": status, "headers": headers}
        await send(_with_date(start, self.clock() + offset))
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _drop(self, scope: Scope, receive: Receive) -> None:
        client = scope.get("client")
        key = (str(client[0]), int(client[1])) if client else None
        if not self.connections.abort(key):
            raise RuntimeError("dropping a connection needs the sandbox runner's uvicorn protocol")
        # Wait for uvicorn to notice the disconnect, so it does not answer the aborted request with a 500.
        try:
            async with asyncio.timeout(_DROP_WAIT_S):
                while (await receive())["type"] != "http.disconnect":
                    pass
        except TimeoutError:
            pass


class _Captured:
    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = list(cast(list[tuple[bytes, bytes]], message.get("headers", [])))
        elif message["type"] == "http.response.body":
            self.chunks.append(bytes(message.get("body", b"")))

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


async def _drain(receive: Receive) -> None:
    """Read the request body so the early fault response is not mistaken for a reset by the client."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def _fault_response(fault: Fault) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    status = fault.status
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    headers: list[tuple[bytes, bytes]] = []
    if fault.retry_after is not None:
        headers.append((b"retry-after", fault.retry_after.encode("ascii")))
    if fault.kind == "html_error":
        body = (
            f"<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>gateway</center>\r\n</body>\r\n</html>\r\n"
        ).encode()
        headers.append((b"content-type", b"text/html; charset=utf-8"))
    else:
        error = _STATUS_ERRORS.get(status, phrase.lower().replace(" ", "_").replace("-", "_"))
        message = f"{phrase} (sandbox fault injection)"
        if fault.kind == "rate_limit":
            message = f"Rate limit exceeded: retry after {fault.retry_after} s (sandbox fault injection)"
        body = json.dumps({"error": error, "message": message}).encode()
        headers.append((b"content-type", b"application/json"))
    headers.append((b"content-length", str(len(body)).encode("ascii")))
    return status, headers, body
