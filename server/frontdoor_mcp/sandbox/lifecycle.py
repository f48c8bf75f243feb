"""Start and stop a sandbox: its identity and state, its app, and uvicorn serving it on a loopback socket.

`start_sandbox` is what tests and `frontdoor-mcp --sandbox` use, and what the foreground command
(`cli.serve_forever`) runs; the `RunningSandbox` it returns is the handle that stops it.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from frontdoor_mcp.sandbox.app import SandboxConfig, build_app
from frontdoor_mcp.sandbox.auth import B64TOKEN
from frontdoor_mcp.sandbox.ca import SigningCA
from frontdoor_mcp.sandbox.fault_middleware import ConnectionRegistry
from frontdoor_mcp.sandbox.faults import FaultController
from frontdoor_mcp.sandbox.server_thread import ServerThread, bind
from frontdoor_mcp.sandbox.store import Store
from frontdoor_mcp.sandbox.validation import is_uuid

DEFAULT_USERNAME = "user-sandbox"
_TOKEN_CHARS = re.compile(rf"^{B64TOKEN}$")  # what a Bearer header can carry, so the API accepts the token


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
    _server: ServerThread = field(repr=False)
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
    clock: Callable[[], float] | None = None,
    standalone: bool = False,
) -> RunningSandbox:
    """Serve the sandbox in a daemon thread; returns once it accepts connections. `db_path=None`: in memory.

    `clock` (epoch seconds, default `time.time`) is the sandbox's one wall clock: JWT `iat`/`exp` and their
    check, the certificates it signs, createdAt/updatedAt/deletedAt, the request log and the `Date` header
    (which a clock_offset fault shifts from it). A test moves the sandbox's time by passing its own.
    `standalone`: log like any uvicorn server (the `frontdoor-mcp sandbox` command); embedded, the
    default, leaves the host's logging and stdout alone.
    """
    if token_ttl < 1:
        raise ValueError("token_ttl must be at least 1 second")
    now = time.time if clock is None else clock
    store = Store(db_path if db_path is not None else ":memory:", clock=now)
    sock = None
    try:
        # Without explicit values, the identity is created once per database and reused on restarts (an
        # in-memory database is new each time, so that means random values there).
        fid = _frontdoor_id(frontdoor_id or store.setting("default_frontdoor_id", lambda: str(uuid.uuid4())))
        bearer = _token(token or store.setting("default_token", _token_factory))
        cid = client_id or store.setting("default_client_id", lambda: "sbx-client-" + secrets.token_hex(8))
        csecret = client_secret or store.setting("default_client_secret", lambda: secrets.token_urlsafe(32))
        store.put_token(bearer, DEFAULT_USERNAME, [fid])
        store.put_oauth_client(cid, csecret, DEFAULT_USERNAME, [fid])
        key_pem, cert_pem = store.ca_pem(lambda: SigningCA.generate(datetime.fromtimestamp(now(), UTC)).to_pem())
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
                clock=now,
            )
        )
        sock, root_url = bind(host, port)
        server = ServerThread(app, sock, connections, log_level=log_level, standalone=standalone)
        server.start()
    except BaseException:
        if sock is not None:
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
