"""The sandbox's data plane on its own, without MCP: its filters' reading of a distinguished name (pure), real
handshakes that show it (`#hex` values) and OpenSSL's security level, and a stop that leaves nothing behind: no
connection still answered, no thread still running, none failing on a store already closed."""

from __future__ import annotations

import dataclasses
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from frontdoor_mcp.sandbox.shares.filters import refusal, unreadable_subjects
from frontdoor_mcp.sandbox.storage.rows import ShareRow
from tests.mtls import Holder, LoopbackServer, certificate, client_ca, cn, long_cn, name

WAIT_S = 10.0
"""A bound on waiting for something that happens at once; never an assertion on time."""


@pytest.fixture(scope="module")
def plane() -> Iterator[RunningSandbox]:
    with start_sandbox(share_provisioning_s=0.0) as running:
        yield running


@pytest.fixture(scope="module")
def ca() -> Holder:
    return client_ca()


def _share(**filters: object) -> ShareRow:
    row = ShareRow(
        seq=1,
        id="shr-1",
        z_id="z",
        frontdoor_id="f",
        name="s",
        type="tcp",
        env_z_id="e",
        target="db:5432",
        ingress_port=2100,
        client_certificate_id="c",
        allowed_subjects=None,
        allowed_common_name_prefixes=None,
        required_organizational_unit=None,
        created_us=0,
        created_by="u",
        deleted_us=None,
        deleted_by=None,
    )
    return dataclasses.replace(row, **filters)  # pyright: ignore[reportArgumentType]


def _admits(allowed_subject: str, subject: x509.Name, issuer: Holder) -> bool:
    return refusal(certificate(subject, issuer=issuer).certificate, _share(allowed_subjects=(allowed_subject,))) is None


# The reading of an allowed subject (pure) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "common_name", "admitted"),
    [
        ("CN=a= b", "a= b", True),  # the type's `=` separates; a later one, and its spaces, are the value's
        ("CN=a= b", "a=b", False),
        ("CN=a =b", "a =b", True),
        ("CN=a =b", "a=b", False),
        ("CN = a=b", "a=b", True),  # spaces around the type's `=` are not the value's
        ("CN=  a b  ", "a b", True),
        ("CN=a\\ ", "a ", True),  # an escaped space is kept
        ("CN=a\\ ", "a", False),
        ("CN=\\ a", " a", True),
        ("cn=a\\,b", "a,b", True),
    ],
)
def test_an_equals_sign_inside_a_value_is_the_values(
    ca: Holder, allowed: str, common_name: str, admitted: bool
) -> None:
    assert _admits(allowed, cn(common_name), ca) is admitted


def test_spaces_around_the_separators_are_not_part_of_a_value(ca: Holder) -> None:
    subject = name((NameOID.ORGANIZATION_NAME, "My Company"), (NameOID.COMMON_NAME, "svc 1"))
    assert _admits("CN=svc 1 , O=My Company", subject, ca) and _admits("CN = svc 1;O= My Company ", subject, ca)
    assert not _admits("CN=svc1,O=My Company", subject, ca)


@pytest.mark.filterwarnings("ignore:Attribute's length:UserWarning")  # reading the long CN: see long_cn
def test_values_of_any_length_are_read_and_compared_whole(ca: Holder) -> None:
    """X.520's upper bounds (CN 64 characters, C 2) are not the data plane's: a certificate may go past them."""
    long_name = "n" * 100
    assert unreadable_subjects([f"CN={long_name}", "C=USA", f"O={'o' * 300}"]) == []
    presented = long_cn(long_name)
    assert _admits(f"CN={long_name}", presented, ca)
    assert not _admits(f"CN={long_name[:-1]}", presented, ca) and not _admits(f"CN={long_name[:64]}", presented, ca)


def test_what_is_not_a_distinguished_name() -> None:
    entries = ["not a dn", "XX=unknown", "CN=a,", "CN=a\\q", 'CN=a"b', "CN=#zz", "CN=#7376 63", "3.5=x", "CN=a+CN=a"]
    assert unreadable_subjects([*entries, "2.5.4.3=x", "CN=", "CN=#737663"]) == list(range(1, len(entries) + 1))


def test_a_hex_value_is_the_hex_of_its_utf8_bytes(ca: Holder) -> None:
    assert _admits("CN=#737663", cn("svc"), ca) and _admits("CN = #737663 ", cn("svc"), ca)
    assert not _admits("CN=#0C03737663", cn("svc"), ca)  # the BER encoding of UTF8String "svc": not this reading


# Through real handshakes -----------------------------------------------------------------------------------


def test_a_hex_allowed_subject_admits_over_tls(plane: RunningSandbox, ca: Holder, tmp_path: Path) -> None:
    trusted = plane.store.insert_certificate(plane.frontdoor_id, "hex-ca", ca.pem, "tester").id
    share = plane.add_share("hexSubject", client_certificate_id=trusted, allowed_subjects=["CN=#737663"])
    with _tls(plane, share, certificate(cn("svc"), issuer=ca), tmp_path) as tls:
        assert _line(tls) == b"frontdoor-mcp sandbox share hexSubject: admitted CN=svc\n"
    with _tls(plane, share, certificate(cn("svd"), issuer=ca), tmp_path) as tls:
        assert _closed(tls)
    _wait_for_workers(share.id)
    assert plane.data_plane.log[-1].rule == "allowedSubjects"


def test_tls_runs_at_openssl_security_level_2(plane: RunningSandbox, ca: Holder, tmp_path: Path) -> None:
    """Python's default context: a 1024-bit RSA key, and a certificate signed with SHA-1, are refused in the
    handshake (the client here would send them: its own level is 0)."""
    trusted = plane.store.insert_certificate(plane.frontdoor_id, "level-ca", ca.pem, "tester").id
    share = plane.add_share("securityLevel", client_certificate_id=trusted)
    weak_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - refused: the point
    by_weak_key = certificate(cn("svc-rsa1024"), issuer=ca, key=weak_key)  # pyright: ignore[reportArgumentType]
    for holder, reason in [
        (by_weak_key, "EE certificate key too weak"),
        (_signed_with_sha1(ca, tmp_path), "CA signature digest algorithm too weak"),
    ]:
        with _tls(plane, share, holder, tmp_path, security_level=0) as tls:
            assert _closed(tls)
        _wait_for_workers(share.id)
        record = plane.data_plane.log[-1]
        assert (record.stage, record.rule) == ("handshake", "chain") and reason in record.reason, record


# Stopping ----------------------------------------------------------------------------------------------------


def test_stop_cuts_every_live_connection_and_leaves_no_thread(ca: Holder, tmp_path: Path) -> None:
    with _echoing_target() as target_port, start_sandbox(share_provisioning_s=0.0) as sandbox:
        trusted = sandbox.store.insert_certificate(sandbox.frontdoor_id, "stop-ca", ca.pem, "tester").id
        echoed = sandbox.add_share("echoed", client_certificate_id=trusted)
        proxied = sandbox.add_share("proxied", client_certificate_id=trusted, target=f"127.0.0.1:{target_port}")
        handshaking = sandbox.add_share("handshaking", client_certificate_id=trusted)
        client = certificate(cn("svc-held"), issuer=ca)
        with (
            _tls(sandbox, echoed, client, tmp_path) as by_echo,
            _tls(sandbox, proxied, client, tmp_path) as by_proxy,
            socket.create_connection(_address(sandbox, handshaking), timeout=WAIT_S) as silent,
        ):
            assert _line(by_echo).startswith(b"frontdoor-mcp sandbox share echoed: admitted")
            for admitted in (by_echo, by_proxy):
                admitted.sendall(b"ping\n")
            assert _line(by_echo) == b"ping\n" and _line(by_proxy) == b"ping\n"  # both really served
            _wait_until(lambda: bool(_workers(handshaking.id)))  # the silent one sits in the handshake
            shares = (echoed.id, proxied.id, handshaking.id)
            assert all(_workers(share_id) for share_id in shares)

            sandbox.stop()

            assert _closed(by_echo) and _closed(by_proxy) and _closed(silent)
        assert not [thread.name for share_id in shares for thread in _workers(share_id)]


def test_a_connection_after_the_store_is_closed_ends_quietly(
    ca: Holder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", failures.append)
    with start_sandbox(share_provisioning_s=0.0) as sandbox:
        share = sandbox.add_share("orphaned")
        sandbox.store.close()  # as when a worker outlives stop()'s wait for it
        with socket.create_connection(_address(sandbox, share), timeout=WAIT_S) as raw:
            assert raw.recv(1) == b""
        _wait_for_workers(share.id)
    assert not failures


# Helpers ------------------------------------------------------------------------------------------------


def _signed_with_sha1(ca: Holder, folder: Path) -> Holder:
    """A client certificate the CA signs with SHA-1 (by openssl: `cryptography` refuses to)."""
    holder = certificate(cn("svc-sha1"), issuer=ca)
    csr = x509.CertificateSigningRequestBuilder().subject_name(cn("svc-sha1")).sign(holder.key, hashes.SHA256())
    (folder / "sha1.csr").write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    ca_certificate, ca_key = ca.files(folder, "sha1-ca")
    signing = ["openssl", "x509", "-req", "-in", str(folder / "sha1.csr"), "-CA", ca_certificate, "-CAkey", ca_key]
    subprocess.run(
        [*signing, "-sha1", "-days", "2", "-set_serial", "7", "-out", str(folder / "sha1.pem")],
        capture_output=True,
        timeout=30,
        check=True,
    )
    signed = x509.load_pem_x509_certificate((folder / "sha1.pem").read_bytes())
    assert signed.signature_algorithm_oid == x509.SignatureAlgorithmOID.ECDSA_WITH_SHA1
    return Holder(signed, holder.key)


def _address(sandbox: RunningSandbox, share: ShareRow) -> tuple[str, int]:
    address = sandbox.data_plane.address(share.id)
    assert address is not None
    host, _, port = address.rpartition(":")
    return host, int(port)


class _tls:
    """A TLS client connection to a share, presenting `holder` (a context manager yielding the socket)."""

    def __init__(
        self, sandbox: RunningSandbox, share: ShareRow, holder: Holder, folder: Path, *, security_level: int = 2
    ) -> None:
        context = ssl.create_default_context(cadata=sandbox.ca_certificate_pem)
        context.set_ciphers(f"DEFAULT:@SECLEVEL={security_level}")
        context.load_cert_chain(*holder.files(folder, "client"))
        raw = socket.create_connection(_address(sandbox, share), timeout=WAIT_S)
        self._tls = context.wrap_socket(raw, server_hostname="localhost")

    def __enter__(self) -> ssl.SSLSocket:
        return self._tls

    def __exit__(self, *_: object) -> None:
        self._tls.close()


def _line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _closed(sock: socket.socket) -> bool:
    """Whether the other end has closed (or refused) the connection: nothing more to read."""
    try:
        return sock.recv(4096) == b""
    except (ssl.SSLError, ConnectionError):
        return True


def _workers(share_id: str) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith(f"sandbox-ingress-{share_id}")]


def _wait_for_workers(share_id: str) -> None:
    """Until the share's connections are served to their end (and logged)."""
    for thread in _workers(share_id):
        thread.join(timeout=WAIT_S)


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "the data plane did not take the connection"
        time.sleep(0.01)


def _echoing_target() -> LoopbackServer:
    """A plain TCP service that echoes its connection, and keeps it open until its client closes."""

    def echo(connection: socket.socket) -> None:
        while data := connection.recv(4096):
            connection.sendall(data)

    return LoopbackServer(echo, wait_s=WAIT_S)
