"""One real TLS connection from this machine with a client certificate and its key, and how far it got.

A client certificate can be refused at three points, and they look different from the client's side. During
the handshake, when the server checks it there (TLS 1.2, or a server that refuses before finishing): the
handshake fails with the server's alert. Under TLS 1.3 the client finishes its handshake before the server has
checked the certificate, so a refusal arrives as an alert on the first read. And a server that verifies the
chain but then applies filters of its own (a frontdoor's allowed subjects, say) closes the connection just
after the handshake. So a probe reads once after the handshake, with a short wait, before it says "connected".

The key file is read by OpenSSL itself to make the connection; nothing of it passes through here.
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass
from typing import Final, Literal

Stage = Literal["tcp", "server_certificate", "handshake", "after_handshake", "connected"]
"""How far the connection got: `connected` is the only success."""

FIRST_READ_WAIT_S: Final = 2.0
"""How long to wait after the handshake for the server's first word (an alert, a close, or data)."""
_ALERTS: Final[dict[str, str]] = {
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": "certificate required (the client sent none)",
    "TLSV1_ALERT_UNKNOWN_CA": "unknown CA (the certificate is not one the server trusts, nor signed by one)",
    "SSLV3_ALERT_BAD_CERTIFICATE": "bad certificate",
    "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE": "unsupported certificate (its key usage or extended key usage)",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED": "certificate expired",
    "SSLV3_ALERT_CERTIFICATE_REVOKED": "certificate revoked",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": "certificate unknown",
    "TLSV1_ALERT_ACCESS_DENIED": "access denied",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "handshake failure",
    "TLSV1_ALERT_PROTOCOL_VERSION": "protocol version",
    "TLSV1_ALERT_DECRYPT_ERROR": "decrypt error",
}


@dataclass(frozen=True)
class ProbeResult:
    connected: bool
    stage: Stage
    detail: str
    """What happened, in our words (with OpenSSL's reason where there is one)."""
    alert: str | None
    """The TLS alert the server sent, in words, when it sent one."""
    tls_version: str | None
    server_certificate: bytes | None
    """The server's certificate (DER), when the handshake got that far."""
    first_bytes: bytes | None
    """What the server sent first (at most a line), when it sent something."""
    elapsed_ms: float


def probe(
    host: str,
    port: int,
    *,
    certificate_path: str,
    key_path: str,
    server_name: str | None = None,
    ca_pem: str | None = None,
    timeout_s: float = 10.0,
) -> ProbeResult:
    """Connect to `host:port` over TLS presenting the certificate and key; verify the server against `ca_pem`
    (None: the system's trust store) for `server_name` (None: `host`). Raises ssl.SSLError when the certificate
    or key files cannot be loaded (the caller checks them first)."""
    context = ssl.create_default_context(cadata=ca_pem) if ca_pem is not None else ssl.create_default_context()
    context.load_cert_chain(certificate_path, key_path)
    started = time.perf_counter()

    def result(
        connected: bool,
        stage: Stage,
        detail: str,
        *,
        alert: str | None = None,
        shaken: tuple[str | None, bytes | None] = (None, None),
        first_bytes: bytes | None = None,
    ) -> ProbeResult:
        return ProbeResult(
            connected,
            stage,
            detail,
            alert=alert,
            tls_version=shaken[0],
            server_certificate=shaken[1],
            first_bytes=first_bytes,
            elapsed_ms=(time.perf_counter() - started) * 1000,
        )

    try:
        raw = socket.create_connection((host, port), timeout=timeout_s)
    except TimeoutError:
        return result(False, "tcp", f"no TCP connection to {host}:{port} within {timeout_s:g} s")
    except OSError as exc:
        return result(False, "tcp", f"no TCP connection to {host}:{port}: {exc.strerror or type(exc).__name__}")
    with raw:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # the client's flight is not held for an ACK
        try:
            tls = context.wrap_socket(raw, server_hostname=server_name or host)
        except ssl.SSLCertVerificationError as exc:
            return result(
                False, "server_certificate", f"the server's certificate was not verified: {exc.verify_message}"
            )
        except ssl.SSLError as exc:
            alert = _alert(exc)
            why = f"the server refused the client certificate during the handshake ({alert})" if alert else ""
            return result(False, "handshake", why or f"the TLS handshake failed ({exc.reason})", alert=alert)
        except OSError as exc:
            return result(False, "handshake", f"the connection failed during the handshake ({type(exc).__name__})")
        with tls:
            # Taken now: after an alert on the first read, the connection can no longer say them.
            shaken = (tls.version(), tls.getpeercert(binary_form=True))
            tls.settimeout(min(FIRST_READ_WAIT_S, timeout_s))
            try:
                first = tls.recv(256)
            except TimeoutError:
                waited = min(FIRST_READ_WAIT_S, timeout_s)
                why = f"connected; the server sent nothing within {waited:g} s (normal where the client speaks first)"
                return result(True, "connected", why, shaken=shaken)
            except ssl.SSLZeroReturnError:
                first = b""
            except ssl.SSLError as exc:
                alert = _alert(exc)
                why = f"the server refused the client certificate just after the handshake ({alert or exc.reason})"
                return result(False, "after_handshake", why, alert=alert, shaken=shaken)
            except OSError as exc:
                return result(
                    False, "after_handshake", f"the connection broke after the handshake ({exc})", shaken=shaken
                )
            if not first:
                why = (
                    "the server closed the connection just after the handshake without a word: how a frontdoor "
                    "refuses a client whose certificate verified but whom its filters do not admit"
                )
                return result(False, "after_handshake", why, shaken=shaken)
            return result(True, "connected", "connected; the server answered", first_bytes=first, shaken=shaken)


def _alert(exc: ssl.SSLError) -> str | None:
    reason = exc.reason or ""
    if reason in _ALERTS:
        return _ALERTS[reason]
    if "ALERT" in reason:
        return reason.lower().replace("_", " ")
    return None
