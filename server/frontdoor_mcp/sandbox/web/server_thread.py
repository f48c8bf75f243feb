"""uvicorn serving an ASGI app on a bound loopback socket, in a daemon thread, with a fast clean stop.

The sandbox's own plumbing, kept apart from what a sandbox is (`lifecycle`): binding the socket, the
uvicorn protocol that lets faults drop a connection, and uvicorn's startup and shutdown driven by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import socket
import threading
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol

from frontdoor_mcp.sandbox.faults.middleware import ConnectionRegistry
from frontdoor_mcp.sandbox.web.token_masking import RedactTokens

_START_TIMEOUT_S = 10.0
_GRACE_S = 1.0  # in-flight requests get this long to finish on stop(); then they are cancelled


def bind(host: str, port: int) -> tuple[socket.socket, str]:
    """A listening TCP socket on `host:port` (0: a free port) and the root URL that reaches it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets whose proto says TCP, and without it
    # Nagle holds the body behind the headers for a delayed ACK: 40 ms on every keep-alive request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        # Lets a restarted sandbox take back its fixed port while old connections sit in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    bound_port = int(sock.getsockname()[1])
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104 (a mapping, not a bind)
    shown = f"[{shown}]" if ":" in shown else shown
    return sock, f"http://{shown}:{bound_port}"


def _standalone_log_config() -> dict[str, Any]:
    """uvicorn's own logging, with every handler masking request tokens: an access line prints the path, and
    a redemption's path holds the token."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact_tokens": {"()": RedactTokens}}  # the class itself: no dotted path to go stale
    for handler in config["handlers"].values():
        handler["filters"] = ["redact_tokens"]
    return config


def _protocol_class(connections: ConnectionRegistry) -> type[H11Protocol]:
    """uvicorn's h11 protocol, registering each connection's transport so faults can drop it silently."""

    class SandboxH11Protocol(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            connections.add(self.client, transport)

        def connection_lost(self, exc: Exception | None) -> None:
            connections.discard(self.client, self.transport)
            super().connection_lost(exc)

    return SandboxH11Protocol


class ServerThread:
    """uvicorn's startup and shutdown driven by hand: no signal handlers, no 100 ms tick, a fast stop.
    `stop()` closes the socket; if `start()` fails, closing it is the caller's."""

    def __init__(
        self,
        app: ASGIApp,
        sock: socket.socket,
        connections: ConnectionRegistry,
        *,
        log_level: str,
        standalone: bool,
    ) -> None:
        self._config = uvicorn.Config(
            app,
            http=_protocol_class(connections),
            loop="asyncio",
            lifespan="off",
            ws="none",
            # Embedded (tests, the MCP server over stdio) it must not touch the host's logging or stdout;
            # standalone it logs like any uvicorn server, access lines included (paths only, no headers, any
            # request token masked).
            log_config=_standalone_log_config() if standalone else None,
            log_level=log_level,
            access_log=standalone,
            date_header=False,  # the app stamps Date itself, so the clock_offset fault can shift it
            server_header=False,
            proxy_headers=False,
            timeout_keep_alive=5,
        )
        self._server = uvicorn.Server(self._config)
        self._sock = sock
        self._connections = connections
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="frontdoor-sandbox", daemon=True)

    def start(self) -> None:
        """Serve in the thread; returns once the socket accepts connections (RuntimeError if it never does)."""
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT_S):
            raise RuntimeError("the sandbox server did not start in time")
        if self._error is not None:
            raise RuntimeError("the sandbox server failed to start") from self._error

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed between the check and the call
                loop.call_soon_threadsafe(stop.set)
        self._thread.join(timeout=_GRACE_S + 5.0)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # surfaced to start() or, after startup, dropped with the thread
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = self._server
        if not self._config.loaded:
            self._config.load()
        server.lifespan = self._config.lifespan_class(self._config)
        await server.startup(sockets=[self._sock])
        self._ready.set()
        await self._stop.wait()
        for listener in server.servers:
            listener.close()
        for connection in list(server.server_state.connections):
            connection.shutdown()  # idle keep-alive connections close now; busy ones after their response
        tasks = list(server.server_state.tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=_GRACE_S)
            for task in pending:
                task.cancel()
        self._connections.abort_all()
        for listener in server.servers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(listener.wait_closed(), timeout=1.0)
        self._sock.close()
