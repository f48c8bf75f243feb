"""What the HTTP-server tests share: the app served by uvicorn on a loopback port (a thread of this process,
or `frontdoor-mcp http` as a subprocess), MCP clients over real HTTP with a bearer token, tokens files, and
tokens from the sandbox's OAuth issuer."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx2
import uvicorn
from mcp import Client
from mcp.client.session import ElicitationFnT
from mcp.client.streamable_http import streamable_http_client

from frontdoor_mcp.config import Settings
from frontdoor_mcp.hosting.asgi import build_http_app
from frontdoor_mcp.hosting.options import HostingOptions, TokenFileAuth
from frontdoor_mcp.hosting.token_file import add_token
from frontdoor_mcp.sandbox.runner import RunningSandbox

ALL_SCOPES: Final = ("frontdoor:read", "frontdoor:write", "frontdoor:tokens")
STATE_KEY: Final = "shared-state-key-0123456789abcdef0123456789abcdef"
_BANNER: Final = re.compile(r"at (http://\S+/mcp) ")


@dataclass(frozen=True)
class Tokens:
    """A tokens file with a writer (every scope) and a reader (frontdoor:read only)."""

    path: Path
    writer: str
    reader: str


def make_tokens(folder: Path) -> Tokens:
    path = folder / "tokens.json"
    writer = add_token(path, "writer", list(ALL_SCOPES))
    reader = add_token(path, "reader", ["frontdoor:read"])
    return Tokens(path, writer, reader)


def options_for(tokens: Tokens, **overrides: Any) -> HostingOptions:
    values: dict[str, Any] = {"auth": TokenFileAuth(tokens.path), "port": 0, "allow_writes": True}
    values.update(overrides)
    return HostingOptions(**values)


class _ServerThread:
    """uvicorn's startup and shutdown driven by hand in a thread (as the sandbox's own thread does), so a
    test neither polls for the start nor waits out uvicorn's shutdown ticks."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        self._server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_config=None, log_level="warning"))
        self._sock = sock
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10) or not self._server.started:
            raise RuntimeError("the HTTP app did not start")

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        server, config = self._server, self._server.config
        config.load()
        server.lifespan = config.lifespan_class(config)
        try:
            await server.startup(sockets=[self._sock])
        finally:
            self._ready.set()
        await self._stop.wait()
        for listener in server.servers:
            listener.close()
        for connection in list(server.server_state.connections):
            connection.shutdown()
        tasks = list(server.server_state.tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=1.0)
            for task in pending:
                task.cancel()
        await server.lifespan.shutdown()
        self._sock.close()


def loopback_socket() -> socket.socket:
    """A listening socket on a free loopback port (bound first, so a URL naming it can be built first)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@contextmanager
def served(app: Any, sock: socket.socket | None = None) -> Generator[str]:
    """`app` served by uvicorn in a thread on `sock` (default: a free loopback port); yields the root URL."""
    sock = sock or loopback_socket()
    thread = _ServerThread(app, sock)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        thread.stop()


@contextmanager
def http_server(
    settings: Settings, options: HostingOptions, sock: socket.socket | None = None, **kwargs: Any
) -> Generator[str]:
    """The whole HTTP app for `settings` and `options`, served; yields the MCP endpoint's URL."""
    with served(build_http_app(settings, options, **kwargs), sock) as root:
        yield root + options.path


def bearer(token: str | None, **headers: str) -> dict[str, str]:
    return {**({"authorization": f"Bearer {token}"} if token else {}), **headers}


@asynccontextmanager
async def mcp_over_http(
    url: str,
    token: str,
    era: str,
    *,
    elicitation: ElicitationFnT | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
) -> AsyncGenerator[Client]:
    """The SDK's client over streamable HTTP, sending `token`; `transport` may route requests (two workers)."""
    http = httpx2.AsyncClient(headers=bearer(token), transport=transport, timeout=httpx2.Timeout(30.0))
    async with (
        http,
        Client(streamable_http_client(url, http_client=http), mode=era, elicitation_callback=elicitation) as client,
    ):
        yield client


def oauth_token(sandbox: RunningSandbox, client_id: str, secret: str, *, resource: str | None) -> str:
    """An access token from the sandbox's OAuth issuer for `resource` (RFC 8707; None: the API's own
    audience), with the client's scopes."""
    form = {"grant_type": "client_credentials", **({"resource": resource} if resource else {})}
    response = httpx2.post(sandbox.token_url, data=form, auth=(client_id, secret))
    response.raise_for_status()
    return str(response.json()["access_token"])


# `frontdoor-mcp http` as a subprocess --------------------------------------------------------------------


def sandbox_environment(sandbox: RunningSandbox, **extra: str) -> dict[str, str]:
    """This process's environment less anything configuring frontdoor-mcp, pointed at `sandbox`."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("FRONTDOOR_", "NETFOUNDRY_"))}
    return {
        **kept,
        "FRONTDOOR_API_URL": sandbox.base_url,
        "FRONTDOOR_ID": sandbox.frontdoor_id,
        "NETFOUNDRY_API_TOKEN": sandbox.token,
        **extra,
    }


@dataclass
class ServerProcess:
    process: subprocess.Popen[str]
    url: str
    stderr_lines: list[str]

    def stderr(self) -> str:
        return "".join(self.stderr_lines)


@contextmanager
def http_process(args: list[str], env: Mapping[str, str]) -> Generator[ServerProcess]:
    """`frontdoor-mcp http ARGS --port 0` as a subprocess; yields once its banner names the URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "frontdoor_mcp", "http", "--port", "0", *args],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    found: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            match = _BANNER.search(line)
            if match and not found:
                found.append(match.group(1))
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not ready.wait(30) or not found:
            raise RuntimeError("frontdoor-mcp http did not start: " + "".join(lines))
        yield ServerProcess(process, found[0], lines)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def route_by_body(default: str, other: str, when: Callable[[bytes], bool]) -> httpx2.AsyncBaseTransport:
    """A transport sending each request to `default`'s server, or to `other`'s when `when(body)` says so: the
    two workers behind a load balancer, with the choice made visible."""

    class Routing(httpx2.AsyncBaseTransport):
        def __init__(self) -> None:
            self._inner = httpx2.AsyncHTTPTransport()

        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            body = await request.aread()
            target = httpx2.URL(other if when(body) else default)
            request.url = request.url.copy_with(host=target.host, port=target.port)
            return await self._inner.handle_async_request(request)

        async def aclose(self) -> None:
            await self._inner.aclose()

    return Routing()
