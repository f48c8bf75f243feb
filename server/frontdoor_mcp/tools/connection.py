"""Will this client get in? One real mTLS connection from this machine, with a certificate and its key, to a
share (its port from the API) or to any `host:port`; how far it got, and, for a share, whether the admission
check predicted it.

The key is read twice, both times only to connect: here, to check that it is the certificate's key before
anything is sent, and by OpenSSL, to sign the handshake. It never reaches a result, a log or an error.
"""

from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime
from typing import Annotated, Final, Literal

import anyio.to_thread
from cryptography import x509
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from frontdoor_mcp.api.http import is_loopback_host
from frontdoor_mcp.api.shares import Share
from frontdoor_mcp.pki.credentials import key_matches, load_chain
from frontdoor_mcp.pki.errors import PemError
from frontdoor_mcp.pki.inspect import describe_certificate
from frontdoor_mcp.text import cap_text
from frontdoor_mcp.tls_probe import ProbeResult, Stage, probe
from frontdoor_mcp.toolkit.annotations import NETWORK_READ
from frontdoor_mcp.toolkit.answers import Answer, shown, shown_id
from frontdoor_mcp.toolkit.definition import ToolGroup
from frontdoor_mcp.toolkit.failures import api_errors
from frontdoor_mcp.toolkit.state import AppState
from frontdoor_mcp.tools.arguments import MAX_PATH_CHARS, FrontdoorIdArg
from frontdoor_mcp.tools.local_files import pem_text, read_certificate, read_private_key
from frontdoor_mcp.tools.shares import ShareIdArg, admission_check

TOOLS: Final = ToolGroup("local")

ADDRESS_PATTERN: Final = r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$"
FIRST_LINE_SHOWN_CHARS: Final = 200
Agreement = Literal["agrees", "disagrees", "not_comparable"]


class ServerCertificate(BaseModel):
    subject: str
    issuer: str
    not_after: datetime


class ConnectionTest(BaseModel):
    connected: bool = Field(description="True only when the connection was made and not refused after it.")
    stage: Stage = Field(description="How far it got: tcp, server_certificate, handshake, after_handshake, connected.")
    detail: str = Field(description="What happened, in words.")
    alert: str | None = Field(description="The TLS alert the server sent, when it sent one.")
    address: str = Field(description="Where it connected, host:port.")
    tls_version: str | None
    elapsed_ms: float
    server_certificate: ServerCertificate | None
    first_line: str | None = Field(description="The server's first line, when it sent one (data, capped).")
    share_id: str | None
    check_verdict: Literal["admit", "refuse", "cannot_decide"] | None = Field(
        description="What check_certificate_against_share predicts for the share; null without a share."
    )
    agreement: Agreement | None = Field(
        description="Whether the connection went as the check predicted; not_comparable: it stopped before the "
        "client certificate was judged, or the check could not decide."
    )


@TOOLS.tool("Test an mTLS connection", NETWORK_READ, local_only=True)
async def test_mtls_connection(
    state: AppState,
    certificate_path: Annotated[
        str, Field(description="The client certificate (PEM file).", min_length=1, max_length=MAX_PATH_CHARS)
    ],
    key_path: Annotated[str, Field(description="Its private key file.", min_length=1, max_length=MAX_PATH_CHARS)],
    share_id: Annotated[ShareIdArg | None, Field(description="A share to reach (port from the API).")] = None,
    address: Annotated[
        str | None,
        Field(description="host:port; for a share if its host is unknown.", pattern=ADDRESS_PATTERN, max_length=260),
    ] = None,
    frontdoor_id: FrontdoorIdArg = None,
    server_name: Annotated[
        str | None, Field(description="Server name to verify (default: the host).", max_length=253)
    ] = None,
    ca_path: Annotated[
        str | None,
        Field(description="CA file to verify the server (default: the system's).", max_length=MAX_PATH_CHARS),
    ] = None,
    timeout_s: Annotated[int, Field(description="Seconds to connect and handshake.", ge=1, le=60)] = 10,
) -> Answer[ConnectionTest]:
    """Try for real whether a client with this certificate and key gets in: one TLS connection to a share or
    an address. Says connected, or the failing stage and alert; for a share, whether the check agrees."""
    certificate, certificate_pem = read_certificate(certificate_path, with_issuers=True)
    if not key_matches(certificate, read_private_key(key_path)):
        raise ToolError(
            "The key in key_path is not this certificate's key: nothing was sent. Give the key it was made with."
        )
    share = None
    if share_id is not None:
        frontdoor = state.frontdoor(frontdoor_id)
        with api_errors(state):
            share = await state.client.shares.get(frontdoor, share_id)
    host, port = _where(state, share, address)
    ca_pem = _server_ca(state, ca_path, host)
    try:
        result = await anyio.to_thread.run_sync(
            lambda: probe(
                host,
                port,
                certificate_path=certificate_path,
                key_path=key_path,
                server_name=server_name,
                ca_pem=ca_pem,
                timeout_s=timeout_s,
            )
        )
    except ssl.SSLError as exc:
        raise ToolError(
            f"This tool's TLS client (OpenSSL at Python's security level 2) will not load this certificate and key "
            f"({exc.reason or 'refused'}); a server at that level would refuse them too. Nothing was sent; "
            "inspect_certificate shows what the certificate holds."
        ) from None
    verdict = None
    if share is not None:
        verdict = (await admission_check(state, state.frontdoor(frontdoor_id), share, certificate_pem)).verdict
    tested = ConnectionTest(
        connected=result.connected,
        stage=result.stage,
        detail=result.detail,
        alert=result.alert,
        address=_shown_address(host, port),
        tls_version=result.tls_version,
        elapsed_ms=round(result.elapsed_ms, 1),
        server_certificate=_server_certificate(result.server_certificate),
        first_line=_first_line(result),
        share_id=share.id if share is not None else None,
        check_verdict=verdict,
        agreement=_agreement(result, verdict) if verdict is not None else None,
    )
    return Answer(tested, _text(tested, certificate, share))


test_mtls_connection.__test__ = False  # pyright: ignore[reportFunctionMemberAccess]  # a tool named test_*, not a test


def _where(state: AppState, share: Share | None, address: str | None) -> tuple[str, int]:
    """The host and port to reach: `address`; else a share's: its ingressAddress when it says one on this machine,
    or this machine when the server runs against the sandbox (which listens on loopback), with its port."""
    if address is not None:
        host, _, port = address.rpartition(":")
        number = int(port)
        if not 1 <= number <= 65535:
            raise ToolError("address: the port must be 1-65535.")
        return host.strip("[]"), number
    if share is None:
        raise ToolError("Give share_id (a share of the frontdoor) or address (host:port) to connect to.")
    if share.ingress_address is not None:
        host, _, port = share.ingress_address.rpartition(":")
        if is_loopback_host(host.strip("[]")) and port.isdigit():
            return host.strip("[]"), int(port)
    if share.ingress_port is None:
        raise ToolError(f"Share {shown(share.name)} has no ingress port (not a TCP share): give address (host:port).")
    if state.sandbox_ca_pem is not None:
        return "127.0.0.1", share.ingress_port
    raise ToolError(
        f"The API gives share {shown(share.name)}'s ingress port ({share.ingress_port}) but not its host: give "
        f"address as <host>:{share.ingress_port} (the console shows it in the Access column)."
    )


def _server_ca(state: AppState, ca_path: str | None, host: str) -> str | None:
    """What verifies the server: the CA given, else the sandbox's for a loopback host when the server runs
    against the sandbox, else None (the system's trust store)."""
    if ca_path is not None:
        text = pem_text(None, ca_path, inline_name="", path_name="ca_path")
        try:
            load_chain(text)
        except PemError as exc:
            raise ToolError(f"ca_path: {exc}") from None
        return text
    if state.sandbox_ca_pem is not None and is_loopback_host(host):
        return state.sandbox_ca_pem
    return None


def _server_certificate(der: bytes | None) -> ServerCertificate | None:
    if der is None:
        return None
    try:
        details = describe_certificate(x509.load_der_x509_certificate(der), now=datetime.now(UTC))
    except (ValueError, PemError):
        return None
    return ServerCertificate(subject=details.subject, issuer=details.issuer, not_after=details.not_after)


def _first_line(result: ProbeResult) -> str | None:
    """The server's first line, as data: decoded leniently, escaped and capped."""
    if not result.first_bytes:
        return None
    line = result.first_bytes.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    return cap_text(line, FIRST_LINE_SHOWN_CHARS)


def _agreement(result: ProbeResult, verdict: str) -> Agreement:
    if verdict == "cannot_decide" or not result.certificate_judged:
        return "not_comparable"
    return "agrees" if result.connected == (verdict == "admit") else "disagrees"


def _shown_address(host: str, port: int) -> str:
    try:
        bracketed = ipaddress.ip_address(host).version == 6
    except ValueError:
        bracketed = False
    return f"[{host}]:{port}" if bracketed else f"{host}:{port}"


def _text(tested: ConnectionTest, certificate: x509.Certificate, share: Share | None) -> str:
    target = f"share {shown(share.name)} ({shown_id(share.id)}) at {tested.address}" if share else tested.address
    who = shown(certificate.subject.rfc4514_string())
    if tested.connected:
        lines = [
            f"Connected to {target} as {who} over {tested.tls_version} in {tested.elapsed_ms:.0f} ms: {tested.detail}."
        ]
        if tested.first_line is not None:
            lines.append(f"The server's first line: {shown(tested.first_line)}")
    else:
        alert = f" (alert: {tested.alert})" if tested.alert else ""
        lines = [f"Not connected to {target} as {who}: stage {tested.stage}{alert}: {tested.detail}."]
    if tested.server_certificate is not None:
        server = tested.server_certificate
        lines.append(
            f"Server certificate: {shown(server.subject)}, issued by {shown(server.issuer)}, expires "
            f"{server.not_after:%Y-%m-%d}."
        )
    if tested.check_verdict is not None:
        said = {"agrees": "agrees", "disagrees": "DISAGREES", "not_comparable": "cannot be compared"}
        lines.append(
            f"check_certificate_against_share predicts {tested.check_verdict.upper()}: "
            f"{said[tested.agreement or 'not_comparable']}."
        )
    if not tested.connected and tested.agreement in ("agrees", "disagrees"):
        lines.append("Next: check_certificate_against_share with this certificate says which rule refuses it.")
    elif tested.connected:
        lines.append("Next: export_client_credential packages the certificate and key for the client to load.")
    return "\n".join(lines)
