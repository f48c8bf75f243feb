"""Start and stop the sandbox: uvicorn on a loopback socket in a daemon thread, or in the foreground.

`start_sandbox` is what tests and `frontdoor-mcp --sandbox` use; `serve_forever` backs the
`frontdoor-mcp sandbox` command; `python -m frontdoor_mcp.sandbox.runner` runs the same without the CLI
(the kill -9 durability test starts it that way).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import signal
import socket
import sqlite3
import sys
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol

from frontdoor_mcp.sandbox.app import SandboxConfig, build_app
from frontdoor_mcp.sandbox.auth import B64TOKEN
from frontdoor_mcp.sandbox.ca import SigningCA
from frontdoor_mcp.sandbox.faults import ConnectionRegistry, FaultController
from frontdoor_mcp.sandbox.store import Store
from frontdoor_mcp.sandbox.validation import is_uuid

DEFAULT_USERNAME = "user-sandbox"
_TOKEN_CHARS = re.compile(rf"^{B64TOKEN}$")  # what a Bearer header can carry, so the API accepts the token
_START_TIMEOUT_S = 10.0
_GRACE_S = 1.0  # in-flight requests get this long to finish on stop(); then they are cancelled


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


class _ServerThread:
    """uvicorn's startup and shutdown driven by hand: no signal handlers, no 100 ms tick, a fast stop."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket, connections: ConnectionRegistry) -> None:
        self._config = config
        self._server = uvicorn.Server(config)
        self._sock = sock
        self._connections = connections
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="frontdoor-sandbox", daemon=True)

    def start(self) -> None:
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


@dataclass
class RunningSandbox:
    """A sandbox serving on loopback. Credentials are kept out of the repr."""

    root_url: str
    base_url: str
    frontdoor_id: str
    token: str = field(repr=False)
    username: str
    admin_token: str = field(repr=False)
    client_id: str
    client_secret: str = field(repr=False)
    token_url: str
    faults: FaultController
    ca_certificate_pem: str = field(repr=False)  # the signing CA, for clients that verify what it signs
    store: Store = field(repr=False)
    db_path: str | None
    _server: _ServerThread = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    def stop(self) -> None:
        """Stop serving (in-flight requests get a second) and close the database. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._server.stop()
        self.store.close()

    def add_frontdoor(self, frontdoor_id: str | None = None) -> str:
        """Another frontdoor, which this sandbox's token may NOT use (for 403 tests). Returns its id."""
        fid = _frontdoor_id(frontdoor_id)
        self.store.ensure_frontdoor(fid)
        return fid

    def add_token(self, frontdoor_ids: list[str], user: str = DEFAULT_USERNAME, token: str | None = None) -> str:
        """Accept another bearer token, as `user`, for `frontdoor_ids` (created if new). Returns the token."""
        value = _token(token)
        self.store.put_token(value, user, [_frontdoor_id(f) for f in frontdoor_ids])
        return value

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _frontdoor_id(given: str | None) -> str:
    if given is None:
        return str(uuid.uuid4())
    if not is_uuid(given):
        raise ValueError("a frontdoor id must be a UUID")
    return given.lower()


def _token(given: str | None) -> str:
    if given is None:
        return "sbx_" + secrets.token_urlsafe(24)  # 32 url-safe characters
    if not _TOKEN_CHARS.match(given):
        raise ValueError("a sandbox token may only hold the characters a Bearer header allows")
    return given


def _bind(host: str, port: int) -> tuple[socket.socket, str]:
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


def _start(
    *,
    host: str,
    port: int,
    db_path: str | Path | None,
    frontdoor_id: str | None,
    token: str | None,
    client_id: str | None,
    client_secret: str | None,
    token_ttl: int,
    log_level: str,
    admin_token: str | None,
    standalone: bool,
) -> RunningSandbox:
    if token_ttl < 1:
        raise ValueError("token_ttl must be at least 1 second")
    store = Store(db_path if db_path is not None else ":memory:")
    try:
        # Without explicit values, the identity is created once per database and reused on restarts (an
        # in-memory database is new each time, so that means random values there).
        fid = _frontdoor_id(frontdoor_id or store.setting("default_frontdoor_id", lambda: str(uuid.uuid4())))
        bearer = _token(token or store.setting("default_token", _token_factory))
        cid = client_id or store.setting("default_client_id", lambda: "sbx-client-" + secrets.token_hex(8))
        csecret = client_secret or store.setting("default_client_secret", lambda: secrets.token_urlsafe(32))
        store.put_token(bearer, DEFAULT_USERNAME, [fid])
        store.put_oauth_client(cid, csecret, DEFAULT_USERNAME, [fid])
        key_pem, cert_pem = store.ca_pem(lambda: SigningCA.generate().to_pem())
        jwt_key = bytes.fromhex(store.setting("jwt_hs256_key", lambda: secrets.token_hex(32)))
        faults = FaultController()
        connections = ConnectionRegistry()
        admin = admin_token or secrets.token_urlsafe(24)
        app = build_app(
            SandboxConfig(
                store=store,
                ca=SigningCA.from_pem(key_pem, cert_pem),
                faults=faults,
                connections=connections,
                admin_token=admin,
                token_ttl=token_ttl,
                jwt_key=jwt_key,
            )
        )
        sock, root_url = _bind(host, port)
    except BaseException:
        store.close()
        raise
    config = uvicorn.Config(
        app,
        http=_protocol_class(connections),
        loop="asyncio",
        lifespan="off",
        ws="none",
        # Embedded (tests, the MCP server over stdio) it must not touch the host's logging or stdout;
        # standalone it logs like any uvicorn server, access lines included (paths only, no headers).
        log_config=LOGGING_CONFIG if standalone else None,
        log_level=log_level,
        access_log=standalone,
        date_header=False,  # the app stamps Date itself, so the clock_offset fault can shift it
        server_header=False,
        proxy_headers=False,
        timeout_keep_alive=5,
    )
    server = _ServerThread(config, sock, connections)
    try:
        server.start()
    except BaseException:
        sock.close()
        store.close()
        raise
    return RunningSandbox(
        root_url=root_url,
        base_url=root_url + "/frontdoor",
        frontdoor_id=fid,
        token=bearer,
        username=DEFAULT_USERNAME,
        admin_token=admin,
        client_id=cid,
        client_secret=csecret,
        token_url=root_url + "/oauth/token",
        faults=faults,
        ca_certificate_pem=cert_pem.decode("ascii"),
        store=store,
        db_path=None if db_path is None else str(db_path),
        _server=server,
    )


def _token_factory() -> str:
    return _token(None)


def start_sandbox(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    db_path: str | Path | None = None,
    frontdoor_id: str | None = None,
    token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    token_ttl: int = 3600,
    log_level: str = "warning",
    admin_token: str | None = None,
) -> RunningSandbox:
    """Serve the sandbox in a daemon thread; returns once it accepts connections. `db_path=None`: in memory."""
    return _start(
        host=host,
        port=port,
        db_path=db_path,
        frontdoor_id=frontdoor_id,
        token=token,
        client_id=client_id,
        client_secret=client_secret,
        token_ttl=token_ttl,
        log_level=log_level,
        admin_token=admin_token,
        standalone=False,
    )


def default_db_path() -> Path:
    """`<user data dir>/frontdoor-mcp/sandbox.db`, its folder created owner-only."""
    import platformdirs  # only the standalone command needs it

    folder = Path(platformdirs.user_data_dir("frontdoor-mcp"))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder / "sandbox.db"


def serve_forever(
    host: str,
    port: int,
    db_path: str | Path | None,
    frontdoor_id: str | None,
    token: str | None,
    client_id: str | None,
    client_secret: str | None,
    token_ttl: int,
    *,
    admin_token: str | None = None,
) -> int:
    """Run the sandbox in the foreground until SIGINT/SIGTERM (call from the main thread). Returns 0.

    Prints the base URL, frontdoor id and token: the sandbox's own throwaway credentials, shown so a
    person can curl it. This is the one place the project prints a token.
    """
    path = Path(db_path) if db_path is not None else default_db_path()
    try:
        sandbox = _start(
            host=host,
            port=port,
            db_path=path,
            frontdoor_id=frontdoor_id,
            token=token,
            client_id=client_id,
            client_secret=client_secret,
            token_ttl=token_ttl,
            log_level="info",
            admin_token=admin_token,
            standalone=True,
        )
    except (OSError, ValueError) as exc:
        print(f"frontdoor-mcp sandbox: cannot start: {exc}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as exc:
        # A file that is not SQLite, or another program's database: one line, not a traceback.
        print(f"frontdoor-mcp sandbox: cannot start: {path} is not a sandbox database ({exc})", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous: dict[signal.Signals, Any] = {
        sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        print(_banner(sandbox, path), flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sandbox.stop()
    return 0


def _banner(sandbox: RunningSandbox, path: Path) -> str:
    list_url = f"{sandbox.base_url}/{sandbox.frontdoor_id}/client-certificates"
    return "\n".join(
        [
            "Frontdoor sandbox is running.",
            f"  API base URL:  {sandbox.base_url}",
            f"  Frontdoor id:  {sandbox.frontdoor_id}",
            f"  Token:         {sandbox.token}",
            f"  OAuth2 client: {sandbox.client_id} / {sandbox.client_secret} at {sandbox.token_url}",
            f"  Admin token:   {sandbox.admin_token} (X-Sandbox-Admin header, for /_sandbox/faults)",
            f"  OpenAPI:       {sandbox.root_url}/openapi.json",
            f"  Database:      {path}",
            "Try:",
            f'  curl -s -H "Authorization: Bearer {sandbox.token}" -H "Accept: application/json" "{list_url}"',
            "Press Ctrl+C to stop.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m frontdoor_mcp.sandbox.runner", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--db", default=None, help="SQLite file (default: in the user data dir)")
    parser.add_argument("--frontdoor-id", default=None)
    parser.add_argument("--token", default=None)
    parser.add_argument("--client-id", default=None)
    parser.add_argument("--client-secret", default=None)
    parser.add_argument("--token-ttl", type=int, default=3600)
    parser.add_argument("--admin-token", default=os.environ.get("FRONTDOOR_SANDBOX_ADMIN_TOKEN"))
    args = parser.parse_args(argv)
    return serve_forever(
        args.host,
        args.port,
        args.db,
        args.frontdoor_id,
        args.token,
        args.client_id,
        args.client_secret,
        args.token_ttl,
        admin_token=args.admin_token,
    )


if __name__ == "__main__":
    sys.exit(main())
