"""The sandbox's data plane: each TCP share listens on loopback and lets in, over real TLS, the clients its
mTLS settings admit. It is the ground truth the server's admission check is tested against.

A share listens from its creation: on its `ingressPort`, or, when the sandbox runs with ephemeral ingress ports
(tests), on a free port that its body then names as `ingressAddress`. It serves TLS with a certificate from the
sandbox CA for `localhost`, `127.0.0.1` and `::1`. A share that names a client certificate demands one and
verifies it with OpenSSL (the `ssl` module), configured explicitly: the share's certificate is the one trust
anchor, even when it is not self-signed (VERIFY_X509_PARTIAL_CHAIN), X509_STRICT off, the SSL-client purpose
a TLS server applies (so CA rights, validity, key usage and extended key usage are what OpenSSL says). A client
the chain refuses gets OpenSSL's alert; then the share's filters (`filters`) apply, and one they refuse is
closed just after the handshake (the `ssl` module has no verify callback). The access log says which refused.

An admitted client is proxied to the share's target only when that target is a loopback address (127.0.0.0/8,
::1, `localhost`) that answers; otherwise a built-in echo first sends one line naming the subject it admitted.
The data plane never resolves or contacts any other address.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import logging
import selectors
import socket
import sqlite3
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final, Literal

from cryptography import x509

from frontdoor_mcp.sandbox.shares.filters import refusal
from frontdoor_mcp.sandbox.storage.rows import ShareRow
from frontdoor_mcp.sandbox.storage.store import Store

IngressPorts = Literal["fixed", "ephemeral"]
HANDSHAKE_TIMEOUT_S: Final = 10.0
TARGET_CONNECT_TIMEOUT_S: Final = 2.0
STOP_WAIT_S: Final = 2.0
"""How long `stop` waits, in all, for the connections' threads to end once their sockets are shut down."""
LOG_LENGTH: Final = 2_000
_CHUNK: Final = 64 * 1024

_log = logging.getLogger("frontdoor_mcp.sandbox.ingress")


class IngressPortInUse(OSError):
    """The ingress port is held by another program (or another sandbox) on this machine."""

    def __init__(self, port: int) -> None:
        super().__init__(errno.EADDRINUSE, f"port {port} is in use on this machine")
        self.port = port


@dataclass(frozen=True)
class ConnectionRecord:
    """One client connection to a share, as the access log keeps it."""

    time: float
    share_id: str
    share_name: str
    peer: str
    outcome: Literal["admitted", "refused"]
    stage: Literal["handshake", "filters", "admitted"]
    rule: str | None
    """What refused: `chain` (OpenSSL's verification), or the filter's API name."""
    reason: str
    subject: str | None
    """The client certificate's subject (RFC 4514), when the handshake verified one."""

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class _Listener:
    frontdoor_id: str
    share_id: str
    sock: socket.socket


class DataPlane:
    """Every listening share of one sandbox, served by one acceptor thread; each connection on a thread of its
    own (a handshake, then a proxy or an echo). Thread-safe."""

    def __init__(
        self,
        store: Store,
        *,
        server_certificate: Path,
        server_key: Path,
        ingress_ports: IngressPorts,
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._certificate = server_certificate
        self._key = server_key
        self.ingress_ports: IngressPorts = ingress_ports
        self._clock = clock
        self._lock = threading.Lock()
        self._listeners: dict[str, _Listener] = {}
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._selector.register(self._wake_read, selectors.EVENT_READ, None)
        self._stopped = threading.Event()
        self._live: set[socket.socket] = set()
        """A duplicate of each live connection's socket (the client's, and the target's when proxied): `stop`
        shuts the connection down through it, never touching the socket a worker thread is using."""
        self._workers: set[threading.Thread] = set()
        self._contexts: dict[tuple[str, str | None], ssl.SSLContext] = {}
        self.log: deque[ConnectionRecord] = deque(maxlen=LOG_LENGTH)
        self._thread = threading.Thread(target=self._accept_forever, name="sandbox-ingress", daemon=True)
        self._thread.start()

    # Listening -----------------------------------------------------------------------------------------------

    def bind(self, port: int) -> socket.socket:
        """A listening socket for a new share: on `port`, or a free one with ephemeral ingress ports. Raises
        IngressPortInUse when `port` is taken on this machine."""
        wanted = 0 if self.ingress_ports == "ephemeral" else port
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", wanted))
            sock.listen(64)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise IngressPortInUse(port) from None
            raise
        return sock

    def serve(self, share: ShareRow, sock: socket.socket) -> None:
        """Start accepting for `share` on `sock` (from `bind`)."""
        with self._lock:
            self._listeners[share.id] = _Listener(share.frontdoor_id, share.id, sock)
            self._selector.register(sock, selectors.EVENT_READ, share.id)
        self._wake()

    def resume(self, shares: list[ShareRow]) -> None:
        """Listen for shares a database already holds (a sandbox started again); a share whose port is taken
        on this machine is said once on the log and does not listen."""
        for share in shares:
            if share.ingress_port is None:
                continue
            try:
                self.serve(share, self.bind(share.ingress_port))
            except IngressPortInUse:
                port = share.ingress_port
                _log.warning(
                    "share %s: ingress port %d is in use on this machine; it does not listen", share.name, port
                )

    def close(self, share_id: str) -> None:
        """Stop listening for a share (deleted). Connections already admitted run on."""
        with self._lock:
            listener = self._listeners.pop(share_id, None)
            if listener is not None:
                self._selector.unregister(listener.sock)
        if listener is not None:
            listener.sock.close()
            self._wake()

    def address(self, share_id: str) -> str | None:
        """`127.0.0.1:<port>` where the share listens, or None when it does not."""
        with self._lock:
            listener = self._listeners.get(share_id)
            return None if listener is None else f"127.0.0.1:{listener.sock.getsockname()[1]}"

    def stop(self) -> None:
        """Stop listening, cut every live connection (in the handshake, echoed or proxied), and wait a bounded
        time for their threads: nothing answers on a share afterwards."""
        self._stopped.set()
        self._wake()
        self._thread.join(timeout=STOP_WAIT_S)
        with self._lock:
            for listener in self._listeners.values():
                listener.sock.close()
            self._listeners.clear()
            for handle in self._live:
                with contextlib.suppress(OSError):
                    handle.shutdown(socket.SHUT_RDWR)
                handle.close()
            self._live.clear()
            workers = list(self._workers)
        deadline = time.monotonic() + STOP_WAIT_S
        for worker in workers:
            worker.join(timeout=max(0.0, deadline - time.monotonic()))
        self._selector.close()
        self._wake_read.close()
        self._wake_write.close()

    def _track(self, sock: socket.socket) -> socket.socket | None:
        """A handle through which `stop` can cut `sock`'s connection; None, and `sock` closed, once stopping
        (under the lock with `stop`: no connection is taken on after it has cut the others) or when no
        descriptor is left for the handle (a connection `stop` could not cut is not served)."""
        with self._lock:
            if not self._stopped.is_set():
                try:
                    handle = sock.dup()
                except OSError:
                    pass
                else:
                    self._live.add(handle)
                    return handle
        sock.close()
        return None

    def _untrack(self, handle: socket.socket) -> None:
        # Closed under the lock: `stop` never shuts down a descriptor number that has meanwhile been reused.
        with self._lock:
            self._live.discard(handle)
            handle.close()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_write.send(b"\0")

    def _accept_forever(self) -> None:
        while not self._stopped.is_set():
            for key, _ in self._selector.select(timeout=1.0):
                if key.data is None:
                    with contextlib.suppress(OSError):
                        self._wake_read.recv(4096)
                    continue
                self._accept(key.fileobj, str(key.data))  # pyright: ignore[reportArgumentType]

    def _accept(self, sock: socket.socket, share_id: str) -> None:
        try:
            connection, peer = sock.accept()
        except OSError:
            return  # closed meanwhile, or another thread took it
        with self._lock:
            listener = self._listeners.get(share_id)
            if listener is None or self._stopped.is_set():
                connection.close()
                return
            worker = threading.Thread(
                target=self._serve_connection,
                args=(listener, connection, f"{peer[0]}:{peer[1]}"),
                name=f"sandbox-ingress-{share_id}",
                daemon=True,
            )
            self._workers.add(worker)
        worker.start()

    # One connection -------------------------------------------------------------------------------------------

    def _serve_connection(self, listener: _Listener, connection: socket.socket, peer: str) -> None:
        handle = self._track(connection)
        try:
            if handle is not None:
                self._serve_tracked(listener, connection, peer)
        finally:
            if handle is not None:
                self._untrack(handle)
            connection.close()
            with self._lock:
                self._workers.discard(threading.current_thread())

    def _serve_tracked(self, listener: _Listener, connection: socket.socket, peer: str) -> None:
        try:
            share = self._store.shares.get(listener.frontdoor_id, listener.share_id)
            if share is None:
                return
            context = self._context(share)
        except (sqlite3.Error, OSError):
            # `stop` waits for a worker only so long; one that outlives it finds the store, or the server's
            # credentials, gone: it just ends.
            return
        connection.setblocking(True)
        # TLS 1.3 sends its tickets and then the first bytes as small writes: without NODELAY, Nagle holds the
        # last one for the client's delayed ACK (40 ms on Linux) on every connection.
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.settimeout(HANDSHAKE_TIMEOUT_S)
        try:
            tls = context.wrap_socket(connection, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            if not self._stopped.is_set():  # a handshake `stop` cut short is no refusal
                self._record(share, peer, "refused", "handshake", "chain", _handshake_failure(exc), None)
            return
        subject = None
        with tls:
            der = tls.getpeercert(binary_form=True)
            if der is not None:
                certificate = x509.load_der_x509_certificate(der)
                subject = certificate.subject.rfc4514_string()
                refused = refusal(certificate, share)
                if refused is not None:
                    self._record(share, peer, "refused", "filters", refused.rule, refused.reason, subject)
                    with contextlib.suppress(OSError, ssl.SSLError):
                        tls.unwrap()
                    return
            tls.settimeout(None)
            target = _loopback_target(share.target)
            upstream = _connect(target) if target is not None else None
            how = f"proxied to {target[0]}:{target[1]}" if upstream is not None and target else "echo"
            self._record(share, peer, "admitted", "admitted", None, how, subject)
            if upstream is None:
                _echo(tls, subject, share.name)
                return
            with upstream:
                upstream_handle = self._track(upstream)
                if upstream_handle is not None:
                    try:
                        _proxy(tls, upstream, name=f"{threading.current_thread().name}-back")
                    finally:
                        self._untrack(upstream_handle)

    def _context(self, share: ShareRow) -> ssl.SSLContext:
        """The TLS server context for `share` as it is now: the certificate it names, read at each connection
        (a certificate's PEM may be swapped), or none required."""
        trusted: str | None = None
        if share.client_certificate_id is not None:
            row = self._store.get_certificate(share.frontdoor_id, share.client_certificate_id)
            trusted = row.value if row is not None else ""  # "": named but gone, so nobody is admitted
        key = (share.client_certificate_id or "", trusted)
        with self._lock:
            context = self._contexts.get(key)
        if context is not None:
            return context
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self._certificate, self._key)
        if trusted is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.verify_flags = (context.verify_flags | ssl.VERIFY_X509_PARTIAL_CHAIN) & ~ssl.VERIFY_X509_STRICT
            if trusted:
                with contextlib.suppress(ssl.SSLError):  # a stored value OpenSSL cannot read trusts nothing
                    context.load_verify_locations(cadata=trusted)
        with self._lock:
            self._contexts[key] = context
        return context

    def _record(
        self,
        share: ShareRow,
        peer: str,
        outcome: Literal["admitted", "refused"],
        stage: Literal["handshake", "filters", "admitted"],
        rule: str | None,
        reason: str,
        subject: str | None,
    ) -> None:
        record = ConnectionRecord(self._clock(), share.id, share.name, peer, outcome, stage, rule, reason, subject)
        self.log.append(record)
        by = f" by {rule}" if rule else ""
        _log.info("share %s: %s %s%s (%s)", share.name, peer, outcome, by, reason)


def _handshake_failure(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return exc.reason or type(exc).__name__
    if isinstance(exc, TimeoutError):
        return "the handshake did not complete in time"
    return f"the connection failed during the handshake ({type(exc).__name__})"


def _loopback_target(target: str) -> tuple[str, int] | None:
    """(IP, port) of a tcp target on this machine, with `localhost` read as 127.0.0.1 without a resolver; None
    for any other host, which the sandbox never contacts."""
    address = target.removeprefix("tcp://")
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if not port.isdigit() or not host:
        return None
    if host.lower() == "localhost":
        return "127.0.0.1", int(port)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None  # a name: never resolved
    return (str(ip), int(port)) if ip.is_loopback else None


def _connect(target: tuple[str, int]) -> socket.socket | None:
    try:
        return socket.create_connection(target, timeout=TARGET_CONNECT_TIMEOUT_S)
    except OSError:
        return None  # nothing answers there: the echo stands in


def _echo(tls: ssl.SSLSocket, subject: str | None, share_name: str) -> None:
    who = subject if subject is not None else "a client without a certificate (the share requires none)"
    with contextlib.suppress(OSError, ssl.SSLError):
        tls.sendall(f"frontdoor-mcp sandbox share {share_name}: admitted {who}\n".encode())
        while data := tls.recv(_CHUNK):
            tls.sendall(data)


def _proxy(tls: ssl.SSLSocket, upstream: socket.socket, *, name: str) -> None:
    """Bytes both ways until either side closes."""
    upstream.settimeout(None)

    def pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError, ssl.SSLError):
            while data := source.recv(_CHUNK):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    back = threading.Thread(target=pump, args=(upstream, tls), name=name, daemon=True)
    back.start()
    pump(tls, upstream)
    back.join(timeout=5)
