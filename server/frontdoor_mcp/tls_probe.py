"""One real TLS connection from this machine with a client certificate and its key, and how far it got.

A client certificate can be refused at two points. In the server's handshake, when it verifies the chain: under
TLS 1.2 the client's handshake fails with the server's alert; under TLS 1.3 the client has finished its side
before the server has checked, so the same alert arrives on the first read, and is reported as the handshake
refusal it is. And after the handshake, by a server that verified the chain but then applies rules of its own
(a frontdoor's filters): it closes the connection without a word. So a probe reads once after the handshake,
with a short wait, before it says "connected".

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
_CERTIFICATE_ALERTS: Final[dict[str, str]] = {
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": "certificate required (the client sent none)",
    "TLSV1_ALERT_UNKNOWN_CA": "unknown CA (the certificate is not one the server trusts, nor signed by one)",
    "SSLV3_ALERT_BAD_CERTIFICATE": "bad certificate",
    "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE": "unsupported certificate (its key usage or extended key usage)",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED": "certificate expired",
    "SSLV3_ALERT_CERTIFICATE_REVOKED": "certificate revoked",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": "certificate unknown",
    "TLSV1_ALERT_ACCESS_DENIED": "access denied",
    "TLSV1_ALERT_DECRYPT_ERROR": "decrypt error (the client could not prove it holds the key)",
}
"""The alerts a server sends about the client's certificate: a refusal of it."""
_OTHER_ALERTS: Final[dict[str, str]] = {
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "handshake failure",
    "TLSV1_ALERT_PROTOCOL_VERSION": "protocol version",
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
    """Until the outcome was known; for a silent server, until the handshake ended (not the wait after it)."""
    certificate_judged: bool
    """Whether the outcome says what the server made of the client's certificate: admitted, refused with an
    alert about it, or closed right after the handshake. A failure before, or of another kind, says nothing."""


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
        judged: bool = False,
        ended: float | None = None,
    ) -> ProbeResult:
        return ProbeResult(
            connected,
            stage,
            detail,
            alert=alert,
            tls_version=shaken[0],
            server_certificate=shaken[1],
            first_bytes=first_bytes,
            elapsed_ms=((ended or time.perf_counter()) - started) * 1000,
            certificate_judged=judged,
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
            alert, about_certificate = _alert(exc)
            if about_certificate:
                why = f"the server refused the client certificate in its handshake ({alert})"
                return result(False, "handshake", why, alert=alert, judged=True)
            return result(False, "handshake", f"the TLS handshake failed ({alert or exc.reason})", alert=alert)
        except OSError as exc:
            return result(False, "handshake", f"the connection failed during the handshake ({type(exc).__name__})")
        with tls:
            # Taken now: after an alert on the first read, the connection can no longer say them.
            shaken = (tls.version(), tls.getpeercert(binary_form=True))
            shaken_at = time.perf_counter()
            tls.settimeout(min(FIRST_READ_WAIT_S, timeout_s))
            try:
                first = tls.recv(256)
            except TimeoutError:
                waited = min(FIRST_READ_WAIT_S, timeout_s)
                why = (
                    f"connected; the server kept the connection open and sent nothing within {waited:g} s (normal "
                    "where the client speaks first)"
                )
                return result(True, "connected", why, shaken=shaken, judged=True, ended=shaken_at)
            except ssl.SSLZeroReturnError:
                first = b""
            except ssl.SSLError as exc:
                alert, about_certificate = _alert(exc)
                if about_certificate:  # TLS 1.3: the server's handshake refusal, read after the client's side ended
                    why = (
                        f"the server refused the client certificate in its handshake ({alert}; under TLS 1.3 the "
                        "alert arrives on the first read)"
                    )
                    return result(False, "handshake", why, alert=alert, shaken=shaken, judged=True)
                why = f"the connection failed just after the handshake ({alert or exc.reason})"
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
                return result(False, "after_handshake", why, shaken=shaken, judged=True)
            return result(
                True, "connected", "connected; the server answered", first_bytes=first, shaken=shaken, judged=True
            )


def _alert(exc: ssl.SSLError) -> tuple[str | None, bool]:
    """The alert the server sent, in words, and whether it is about the client's certificate."""
    reason = exc.reason or ""
    if reason in _CERTIFICATE_ALERTS:
        return _CERTIFICATE_ALERTS[reason], True
    if reason in _OTHER_ALERTS:
        return _OTHER_ALERTS[reason], False
    if "ALERT" in reason:
        return reason.lower().replace("_", " "), False
    return None, False
