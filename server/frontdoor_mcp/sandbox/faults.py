"""Fault injection, the request log, and the Date header: the outermost layer of the sandbox app.

Tests use it to put a client through what a real gateway does to it: slowness, 429/5xx with
Retry-After, connections dropped before or after the write, bodies that are not JSON or are cut short,
HTML error pages, and a skewed clock. Faults are matched by method and path, applied to a given number
of requests, and never to the `/_sandbox` control endpoints (which must keep working to clear them).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, Literal, cast, get_args

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FaultKind = Literal[
    "latency", "status", "drop_before", "drop_after", "malformed_json", "truncated_json", "html_error", "clock_offset"
]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
_MODIFIERS: frozenset[FaultKind] = frozenset({"latency", "clock_offset"})
"""Kinds that combine with others; at most one of the remaining kinds (an outcome) applies to a request."""

ADMIN_PREFIX = "/_sandbox"
_DROP_WAIT_S = 2.0
_MALFORMED_BODY = b'{"content": [{"id": "cert-<<sandbox fault: this body is not JSON>>'

_STATUS_ERRORS = {429: "too_many_requests", 500: "internal_error", 503: "service_unavailable"}


@dataclass
class Fault:
    """One fault rule: `kind` applied to the next `times` requests (None: until cleared) whose method is
    `method` (None: any) and whose path (without the query) contains `path_contains` (None: any)."""

    kind: FaultKind
    method: str | None = None
    path_contains: str | None = None
    times: int | None = 1
    latency_s: float = 0.0
    status: int = 503
    retry_after: str | None = None
    clock_offset_s: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1, or None for 'until cleared'")
        if not 0.0 <= self.latency_s <= 300.0:
            raise ValueError("latency_s must be between 0 and 300")
        if not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status code (100-599)")
        if self.retry_after is not None and not _is_header_safe(self.retry_after):
            raise ValueError("retry_after must be a printable header value")

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method.upper()) and (
            self.path_contains is None or self.path_contains in path
        )

    @classmethod
    def from_json(cls, data: object) -> Fault:
        """A Fault from the JSON body of `POST /_sandbox/faults`; ValueError with a precise message if invalid."""
        if not isinstance(data, dict):
            raise ValueError("the fault must be a JSON object")
        obj = cast(dict[str, object], data)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(obj) - known)
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
        kind = obj.get("kind")
        if not isinstance(kind, str) or kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        return cls(
            kind=kind,
            method=_opt_str(obj, "method"),
            path_contains=_opt_str(obj, "path_contains"),
            times=_opt_int(obj, "times", 1),
            latency_s=_num(obj, "latency_s", 0.0),
            status=_int(obj, "status", 503),
            retry_after=_opt_str(obj, "retry_after"),
            clock_offset_s=_num(obj, "clock_offset_s", 0.0),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _opt_str(obj: Mapping[str, object], key: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{key} must be a string or null")


def _opt_int(obj: Mapping[str, object], key: str, default: int | None) -> int | None:
    if key not in obj:
        return default
    value = obj[key]
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"{key} must be an integer or null")


def _int(obj: Mapping[str, object], key: str, default: int) -> int:
    value = obj.get(key, default)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"{key} must be an integer")


def _num(obj: Mapping[str, object], key: str, default: float) -> float:
    value = obj.get(key, default)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"{key} must be a number")


def _is_header_safe(value: str) -> bool:
    return value.isprintable() and value.isascii()


@dataclass(frozen=True)
class RequestRecord:
    """One request served. `status` is None when the connection was dropped without a response."""

    method: str
    path: str
    status: int | None
    time: float
    fault: FaultKind | None = None


@dataclass(frozen=True)
class FaultPlan:
    """What the faults say to do with one request."""

    latency: Fault | None = None
    clock: Fault | None = None
    outcome: Fault | None = None


class FaultController:
    """Thread-safe: tests drive it from their own thread while the server runs in another."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._requests: list[RequestRecord] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(replace(fault))  # a copy: `times` counts down here, not in the caller's object

    def clear(self) -> None:
        """Remove every fault (the request log is kept; see clear_requests)."""
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """The active faults (copies), `times` showing what is left."""
        with self._lock:
            return [replace(f) for f in self._faults]

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of the request log, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def count(self, method: str | None = None, path_contains: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self._requests
                if (method is None or r.method == method.upper()) and (path_contains is None or path_contains in r.path)
            )

    def record(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    def take(self, method: str, path: str) -> FaultPlan:
        """Pick the first matching fault of each category and use up one of its `times`."""
        chosen: dict[str, Fault] = {}
        with self._lock:
            for fault in self._faults:
                slot = fault.kind if fault.kind in _MODIFIERS else "outcome"
                if slot not in chosen and fault.matches(method, path):
                    chosen[slot] = fault
            for fault in chosen.values():
                if fault.times is not None:
                    fault.times -= 1
            self._faults = [f for f in self._faults if f.times is None or f.times > 0]
        return FaultPlan(latency=chosen.get("latency"), clock=chosen.get("clock_offset"), outcome=chosen.get("outcome"))


class ConnectionRegistry:
    """Transports of open connections by client address, so a fault can drop one without any response.

    ASGI gives an app no way to close its connection silently (uvicorn answers 500 to an app that fails
    before responding), so the runner's uvicorn protocol registers each transport here and a drop
    aborts it.
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


def http_date(offset_s: float = 0.0) -> str:
    """RFC 7231 IMF-fixdate, e.g. `Mon, 15 Jan 2024 10:30:00 GMT`."""
    return formatdate(time.time() + offset_s, usegmt=True)


def _with_date(message: Message, offset_s: float) -> Message:
    headers = [(k, v) for k, v in cast(list[tuple[bytes, bytes]], message.get("headers", [])) if k.lower() != b"date"]
    headers.append((b"date", http_date(offset_s).encode("ascii")))
    return {**message, "headers": headers}


def _set_length(headers: list[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    kept.append((b"content-length", str(length).encode("ascii")))
    return kept


class FaultMiddleware:
    """Pure ASGI middleware: applies faults, stamps `Date` on every response, records every request."""

    def __init__(self, app: ASGIApp, controller: FaultController, connections: ConnectionRegistry) -> None:
        self.app = app
        self.controller = controller
        self.connections = connections

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = str(scope["method"])
        path = str(scope["path"])
        started = time.time()
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            # The control plane is neither faulted nor logged: it must work to undo faults and read the log.
            await self.app(scope, receive, self._dated(send, 0.0, None))
            return

        plan = self.controller.take(method, path)
        offset = plan.clock.clock_offset_s if plan.clock else 0.0
        outcome = plan.outcome
        kind: FaultKind | None = outcome.kind if outcome else (plan.clock.kind if plan.clock else None)
        if plan.latency is not None:
            kind = kind or "latency"
            await asyncio.sleep(plan.latency.latency_s)

        def log(status: int | None) -> None:
            self.controller.record(RequestRecord(method, path, status, started, kind))

        if outcome is None:
            logged: list[bool] = []

            def log_once(status: int) -> None:
                # Logged before the first byte goes out, so a client that has its answer sees it in the log.
                if not logged:
                    logged.append(True)
                    log(status)

            try:
                await self.app(scope, receive, self._dated(send, offset, log_once))
            finally:
                log_once(500)
            return

        if outcome.kind == "drop_before":
            log(None)
            await self._drop(scope, receive)
            return
        if outcome.kind in ("status", "html_error"):
            await _drain(receive)
            status, headers, body = _fault_response(outcome)
            log(status)
            await self._send(send, status, headers, body, offset)
            return

        # The remaining outcomes act on the real response: run the handler (its write commits), buffer it.
        captured = _Captured()
        try:
            await self.app(scope, receive, captured.send)
        finally:
            if outcome.kind == "drop_after":
                log(None)
        if outcome.kind == "drop_after":
            await self._drop(scope, receive)
            return
        status, headers, body = captured.status, captured.headers, captured.body
        if outcome.kind == "malformed_json":
            status, body = 200, _MALFORMED_BODY
            headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
            headers.append((b"content-type", b"application/json"))
        else:  # truncated_json: a well-framed HTTP message whose JSON stops halfway
            body = body[: len(body) // 2]
        log(status)
        await self._send(send, status, _set_length(headers, len(body)), body, offset)

    def _dated(self, send: Send, offset: float, on_status: Callable[[int], None] | None) -> Send:
        async def dated_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                if on_status is not None:
                    on_status(int(message["status"]))
                message = _with_date(message, offset)
            await send(message)

        return dated_send

    async def _send(
        self, send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes, offset: float
    ) -> None:
        start: Message = {"type": "http.response.start", "status": status, "headers": headers}
        await send(_with_date(start, offset))
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
        body = json.dumps({"error": error, "message": message}).encode()
        headers.append((b"content-type", b"application/json"))
    headers.append((b"content-length", str(len(body)).encode("ascii")))
    return status, headers, body
