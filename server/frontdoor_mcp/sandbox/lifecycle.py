"""Start and stop a sandbox: its identity and keys, its app, and uvicorn serving it on a loopback socket.

`start_sandbox` is what tests and `frontdoor-mcp --sandbox` use, and what the foreground command
(`command.serve_forever`) runs; the `RunningSandbox` it returns is the handle that stops it, and the test
support that sets up a scene (tokens, OAuth clients, request tokens, shares, many certificates).
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import socket
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from frontdoor_mcp.sandbox.access import B64TOKEN
from frontdoor_mcp.sandbox.app import SandboxConfig, build_app
from frontdoor_mcp.sandbox.ca import SigningCA
from frontdoor_mcp.sandbox.faults.controller import FaultController
from frontdoor_mcp.sandbox.faults.middleware import ConnectionRegistry
from frontdoor_mcp.sandbox.oauth.signing_key import SigningKey
from frontdoor_mcp.sandbox.paging import DEFAULT_MAX_PAGE_SIZE, DEFAULT_SHAPE, Paging, PagingControl, PagingShape
from frontdoor_mcp.sandbox.shares.ingress import DataPlane, IngressPorts
from frontdoor_mcp.sandbox.storage.rows import ShareRow
from frontdoor_mcp.sandbox.storage.store import DEFAULT_SCOPES, MCP_SERVER_SCOPES, Store
from frontdoor_mcp.sandbox.testing import Scene
from frontdoor_mcp.sandbox.web.server_thread import ServerThread, bind
from frontdoor_mcp.sandbox.web.validation import is_uuid

DEFAULT_USERNAME = "user-sandbox"
PORT_SETTING = "port"
_TOKEN_CHARS = re.compile(rf"^{B64TOKEN}$")  # what a Bearer header can carry, so the API accepts the token


class PortInUse(OSError):
    """The port the sandbox was to listen on is taken. `kept`: it was the port remembered with the database
    (no port was asked for), so choosing another is the way out."""

    def __init__(self, port: int, *, kept: bool) -> None:
        super().__init__(errno.EADDRINUSE, f"port {port} is already in use")
        self.port = port
        self.kept = kept


@dataclass
class RunningSandbox(Scene):
    """A sandbox serving on loopback. Credentials are kept out of the repr."""

    root_url: str
    base_url: str
    token: str = field(repr=False)
    admin_token: str = field(repr=False)
    client_id: str
    client_secret: str = field(repr=False)
    token_url: str
    faults: FaultController
    mcp_client_id: str
    """An OAuth client for frontdoor-mcp's HTTP server in issuer mode: granted `MCP_SERVER_SCOPES`."""
    mcp_client_secret: str = field(repr=False)
    paging: PagingControl
    """The shape list answers take and the largest page served; `paging.set(...)` changes them at once."""
    ca_certificate_pem: str = field(repr=False)  # the signing CA, for clients that verify what it signs
    db_path: str | None
    data_plane: DataPlane
    """Where the TCP shares listen, and the access log of their connections."""
    _server: ServerThread = field(repr=False)
    _serving_files: tempfile.TemporaryDirectory[str] = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    def stop(self) -> None:
        """Stop serving (in-flight requests get a second), stop the shares listening, and close the database.
        Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._server.stop()
        self.data_plane.stop()
        self._serving_files.cleanup()
        self.store.close()

    def _share_created(self, row: ShareRow) -> None:
        """A share added as POST would create it listens, as a created share does."""
        if row.type == "tcp" and row.ingress_port is not None:
            self.data_plane.serve(row, self.data_plane.bind(row.ingress_port))

    def add_frontdoor(self, frontdoor_id: str | None = None) -> str:
        """Another frontdoor, which this sandbox's token may NOT use (for 403 tests). Returns its id."""
        fid = _frontdoor_id(frontdoor_id)
        self.store.ensure_frontdoor(fid, self.username)
        return fid

    def add_token(self, frontdoor_ids: list[str], user: str = DEFAULT_USERNAME, token: str | None = None) -> str:
        """Accept another bearer token, as `user`, for `frontdoor_ids` (created if new). Returns the token."""
        value = _token(token)
        self.store.put_token(value, user, [_frontdoor_id(f) for f in frontdoor_ids])
        return value

    def add_oauth_client(
        self,
        client_id: str,
        secret: str,
        *,
        scopes: list[str] | tuple[str, ...],
        frontdoor_ids: list[str] | None = None,
        user: str = DEFAULT_USERNAME,
    ) -> None:
        """Register an OAuth client that may be granted `scopes` (and gets them all when it asks for none).
        Its tokens, used on the sandbox API, may use `frontdoor_ids` (None: this sandbox's frontdoor)."""
        fids = [self.frontdoor_id] if frontdoor_ids is None else [_frontdoor_id(f) for f in frontdoor_ids]
        self.store.put_oauth_client(client_id, secret, user, fids, tuple(scopes))

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
    if not _TOKEN_CHARS.fullmatch(given):
        raise ValueError("a sandbox token may only hold the characters a Bearer header allows")
    return given


def _token_factory() -> str:
    return _token(None)


@dataclass(frozen=True)
class _Identity:
    """Who the sandbox is: its default frontdoor, bearer token and OAuth client."""

    frontdoor_id: str
    token: str = field(repr=False)
    client_id: str
    client_secret: str = field(repr=False)
    mcp_client_id: str
    mcp_client_secret: str = field(repr=False)


def _identity(
    store: Store, frontdoor_id: str | None, token: str | None, client_id: str | None, client_secret: str | None
) -> _Identity:
    """Without explicit values, the identity is created once per database and reused on restarts (an
    in-memory database is new each time, so that means random values there)."""
    identity = _Identity(
        frontdoor_id=_frontdoor_id(frontdoor_id or store.setting("default_frontdoor_id", lambda: str(uuid.uuid4()))),
        token=_token(token or store.setting("default_token", _token_factory)),
        client_id=client_id or store.setting("default_client_id", lambda: "sbx-client-" + secrets.token_hex(8)),
        client_secret=client_secret or store.setting("default_client_secret", lambda: secrets.token_urlsafe(32)),
        mcp_client_id=store.setting("mcp_client_id", lambda: "sbx-mcp-" + secrets.token_hex(8)),
        mcp_client_secret=store.setting("mcp_client_secret", lambda: secrets.token_urlsafe(32)),
    )
    store.put_token(identity.token, DEFAULT_USERNAME, [identity.frontdoor_id])
    store.put_oauth_client(
        identity.client_id, identity.client_secret, DEFAULT_USERNAME, [identity.frontdoor_id], DEFAULT_SCOPES
    )
    store.put_oauth_client(
        identity.mcp_client_id,
        identity.mcp_client_secret,
        DEFAULT_USERNAME,
        [identity.frontdoor_id],
        MCP_SERVER_SCOPES,
    )
    return identity


def _keys(store: Store, now: Callable[[], float]) -> tuple[SigningCA, str, SigningKey]:
    """The CA (and its certificate PEM) and the token signing key: generated once per database, then kept."""
    key_pem, cert_pem = store.ca_pem(lambda: SigningCA.generate(datetime.fromtimestamp(now(), UTC)).to_pem())
    signing_key = SigningKey.from_pem(store.setting("jwt_es256_key", lambda: SigningKey.generate().to_pem()))
    return SigningCA.from_pem(key_pem, cert_pem), cert_pem.decode("ascii"), signing_key


def _listen(host: str, port: int | None, store: Store) -> tuple[socket.socket, str]:
    """Bind `port`; None: the port kept with the database (a free one the first time). The port bound is
    kept for the next start. A taken port is PortInUse."""
    kept = store.get_setting(PORT_SETTING) if port is None else None
    wanted = int(kept) if kept is not None else (port or 0)
    try:
        sock, root_url = bind(host, wanted)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(wanted, kept=kept is not None) from None
        raise
    if not store.database.in_memory:
        store.put_setting(PORT_SETTING, str(sock.getsockname()[1]))
    return sock, root_url


def start_sandbox(
    *,
    host: str = "127.0.0.1",
    port: int | None = 0,
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
    share_provisioning_s: float = 2.0,
    ingress_ports: IngressPorts = "ephemeral",
    paging: PagingShape = DEFAULT_SHAPE,
    max_page_size: int = DEFAULT_MAX_PAGE_SIZE,
) -> RunningSandbox:
    """Serve the sandbox in a daemon thread; returns once it accepts connections. `db_path=None`: in memory.

    `port`: 0 a free port; None the port kept with the database (a free one the first time; PortInUse if it
    is taken now). With a database file, the port bound is kept for the next start.
    `clock` (epoch seconds, default `time.time`) is the sandbox's one wall clock: JWT `iat`/`exp` and their
    check, the certificates it signs, createdAt/updatedAt/deletedAt, token expiry, share provisioning
    (`share_provisioning_s` after creation a share reads ACTIVE), rate limits, the request log and the `Date`
    header (which a clock_offset fault shifts from it). A test moves the sandbox's time by passing its own.
    `standalone`: log like any uvicorn server (the `frontdoor-mcp sandbox` command); embedded, the
    default, leaves the host's logging and stdout alone.
    `ingress_ports`: where TCP shares listen: "fixed", on their `ingressPort` (2100-2199; a port taken on this
    machine makes the create a 409), or "ephemeral", on free ports their bodies name as `ingressAddress`
    (the default here: tests and several sandboxes on one machine never collide; the commands choose "fixed").
    `paging` and `max_page_size`: the shape list answers take and the largest page served (`sandbox.paging`);
    `RunningSandbox.paging` and `PUT /_sandbox/paging` change them while it runs.
    """
    if token_ttl < 1:
        raise ValueError("token_ttl must be at least 1 second")
    if share_provisioning_s < 0:
        raise ValueError("share_provisioning_s must not be negative")
    now = time.time if clock is None else clock
    paging_control = PagingControl(Paging(paging, max_page_size))  # a bad choice fails here, before any start
    store = Store(db_path if db_path is not None else ":memory:", clock=now)
    sock: socket.socket | None = None
    serving_files: tempfile.TemporaryDirectory[str] | None = None
    data_plane: DataPlane | None = None
    try:
        identity = _identity(store, frontdoor_id, token, client_id, client_secret)
        ca, ca_pem, signing_key = _keys(store, now)
        sock, root_url = _listen(host, port, store)
        faults, connections = FaultController(), ConnectionRegistry()
        serving_files, data_plane = _data_plane(store, ca, now, ingress_ports)
        admin = admin_token or secrets.token_urlsafe(24)
        config = SandboxConfig(
            store=store,
            ca=ca,
            faults=faults,
            connections=connections,
            admin_token=admin,
            token_ttl=token_ttl,
            signing_key=signing_key,
            issuer=root_url,
            clock=now,
            share_provisioning_s=share_provisioning_s,
            data_plane=data_plane,
            paging=paging_control,
        )
        server = ServerThread(build_app(config), sock, connections, log_level=log_level, standalone=standalone)
        server.start()
        data_plane.resume(store.shares.live_tcp())
    except BaseException:
        if sock is not None:
            sock.close()
        if data_plane is not None:
            data_plane.stop()
        if serving_files is not None:
            serving_files.cleanup()
        store.close()
        raise
    return RunningSandbox(
        store=store,
        ca=ca,
        signing_key=signing_key,
        clock=now,
        frontdoor_id=identity.frontdoor_id,
        username=DEFAULT_USERNAME,
        issuer=root_url,
        root_url=root_url,
        base_url=root_url + "/frontdoor",
        token=identity.token,
        admin_token=admin,
        client_id=identity.client_id,
        client_secret=identity.client_secret,
        token_url=root_url + "/oauth/token",
        faults=faults,
        mcp_client_id=identity.mcp_client_id,
        mcp_client_secret=identity.mcp_client_secret,
        paging=paging_control,
        ca_certificate_pem=ca_pem,
        db_path=None if db_path is None else str(db_path),
        data_plane=data_plane,
        _server=server,
        _serving_files=serving_files,
    )


def _data_plane(
    store: Store, ca: SigningCA, now: Callable[[], float], ingress_ports: IngressPorts
) -> tuple[tempfile.TemporaryDirectory[str], DataPlane]:
    """The data plane, with the TLS server credentials it serves (a fresh key each start, in a private
    temporary folder: `ssl` loads a certificate and key from files only)."""
    folder = tempfile.TemporaryDirectory(prefix="frontdoor-sandbox-tls-")
    certificate_pem, key_pem = ca.serving_credentials(datetime.fromtimestamp(now(), UTC))
    certificate, key = Path(folder.name) / "server.pem", Path(folder.name) / "server.key"
    certificate.write_bytes(certificate_pem)
    descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(key_pem)
    plane = DataPlane(store, server_certificate=certificate, server_key=key, ingress_ports=ingress_ports, clock=now)
    return folder, plane
