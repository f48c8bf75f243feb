"""Certificates for mTLS tests, with their keys: CAs and client certificates of any shape (CA rights, key usage,
extended key usage, validity, subject), and files a client can be pointed at."""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

Usage = Literal["client", "server", "none", "both", "no_digital_signature"]
Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
Validity = Literal["valid", "expired", "not_yet_valid"]


def name(*attributes: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    """A name from (OID, value) pairs in the certificate's (ASN.1) order: one RDN each."""
    return x509.Name([x509.RelativeDistinguishedName([x509.NameAttribute(oid, value)]) for oid, value in attributes])


def cn(value: str) -> x509.Name:
    return name((NameOID.COMMON_NAME, value))


def long_cn(value: str) -> x509.Name:
    """A name with one CN of any length. `cryptography` bounds a CN at X.520's 64 characters; told not to
    validate, it warns and builds it, as a certificate may carry it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        attribute = x509.NameAttribute(NameOID.COMMON_NAME, value, _validate=False)
    return x509.Name([x509.RelativeDistinguishedName([attribute])])


def key_usage(*, digital_signature: bool, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass
class Holder:
    """A certificate and its private key."""

    certificate: x509.Certificate
    key: Key = field(repr=False)

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def key_pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def files(self, folder: Path, stem: str) -> tuple[str, str]:
        """The certificate and the key written to `folder` (the key 0600); their paths."""
        certificate, key = folder / f"{stem}.pem", folder / f"{stem}.key"
        certificate.write_text(self.pem)
        descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(self.key_pem)
        return str(certificate), str(key)


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def certificate(
    subject: x509.Name,
    *,
    issuer: Holder | None = None,
    key: Key | None = None,
    ca: bool | None = None,
    path_length: int | None = None,
    issuer_name: x509.Name | None = None,
    extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
    key_identifiers: bool = True,
    usage: Usage | None = "client",
    key_usage_value: x509.KeyUsage | None = None,
    validity: Validity = "valid",
) -> Holder:
    """A certificate for `subject`, signed by `issuer` (None: self-signed). `ca`: a basic constraints extension
    saying so (None: no such extension), with `path_length`. `usage`: the extended key usage (None or "none": no
    extension). `issuer_name`: another spelling of the issuer's name. `extensions`: more, with their criticality;
    `key_identifiers`: the subject and authority key identifiers (non-critical)."""
    key = key or new_key()
    now = datetime.now(UTC)
    start, end = {
        "valid": (now - timedelta(days=1), now + timedelta(days=30)),
        "expired": (now - timedelta(days=60), now - timedelta(days=1)),
        "not_yet_valid": (now + timedelta(days=1), now + timedelta(days=30)),
    }[validity]
    signer = issuer.key if issuer is not None else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name or (issuer.certificate.subject if issuer is not None else subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
    )
    if key_identifiers:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        ).add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    if key_usage_value is not None:
        builder = builder.add_extension(key_usage_value, critical=True)
    usages = {
        "client": [ExtendedKeyUsageOID.CLIENT_AUTH],
        "server": [ExtendedKeyUsageOID.SERVER_AUTH],
        "both": [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
        "no_digital_signature": [ExtendedKeyUsageOID.CLIENT_AUTH],
    }.get(usage or "none")
    if usages is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    if usage == "no_digital_signature":  # a key usage, but neither digitalSignature nor keyAgreement
        only_non_repudiation = x509.KeyUsage(
            digital_signature=False,
            content_commitment=True,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=False,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        )
        builder = builder.add_extension(only_non_repudiation, critical=True)
    return Holder(builder.sign(signer, hashes.SHA256()), key)


def client_ca(common_name: str = "Example Client CA") -> Holder:
    """A company's own CA for client certificates: basic constraints CA, keyCertSign."""
    return certificate(
        cn(common_name), ca=True, usage=None, key_usage_value=key_usage(digital_signature=False, cert_sign=True)
    )


class LoopbackServer:
    """A server on a free loopback port that hands its first connection to `serve`, on a thread of its own (a
    context manager yielding the port). The connection is closed when `serve` returns; so is the listener when
    the block ends."""

    def __init__(self, serve: Callable[[socket.socket], None], *, wait_s: float = 5.0) -> None:
        self._serve_one = serve
        self._wait_s = wait_s
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(4)
        self._listener.settimeout(wait_s)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        try:
            connection, _ = self._listener.accept()
        except OSError:
            return
        with connection, contextlib.suppress(ssl.SSLError, OSError):  # the client under test may break it off
            self._serve_one(connection)

    def __enter__(self) -> int:
        self._thread.start()
        return int(self._listener.getsockname()[1])

    def __exit__(self, *_: object) -> None:
        self._listener.close()
        self._thread.join(timeout=self._wait_s)
