"""A client's credential: a private key with its certificate, checked to belong together, and packaged the way
clients load them: PKCS#12 (browsers, Windows, macOS, Java) or a PEM bundle (curl `--cert` with `--key`, nginx).

PKCS#12 comes in two protections. `modern`: AES-256-CBC with PBKDF2-SHA256 and an HMAC-SHA256 MAC, which every
current platform reads. `legacy`: 3DES with SHA-1 (PKCS#12 PBE) and an HMAC-SHA1 MAC, for older macOS keychains,
Windows before 10 and Java 8, which read nothing better.

A private key is handled here only to check and package it: it is never returned, shown or logged, and an
error about it never quotes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from frontdoor_mcp.pki.errors import PemError
from frontdoor_mcp.pki.inspect import public_key_der
from frontdoor_mcp.pki.parse import CERTIFICATE_LABEL
from frontdoor_mcp.pki.pem import split_pem_blocks

Compatibility = Literal["modern", "legacy"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey

MODERN_KDF_ROUNDS: Final = 100_000
"""PBKDF2 iterations of a modern PKCS#12: well above OpenSSL's 2,048, still quick to open (tens of ms)."""
LEGACY_KDF_ROUNDS: Final = 2_048
"""What OpenSSL's own legacy PKCS#12 uses: what old readers expect."""


def load_private_key(text: str) -> PrivateKey:
    """An unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1). Raises PemError, never quoting the key."""
    try:
        key = serialization.load_pem_private_key(text.encode("utf-8"), password=None)
    except TypeError:
        raise PemError("parse", "The private key is encrypted: give an unencrypted copy of it.") from None
    except (ValueError, UnsupportedAlgorithm):
        raise PemError("parse", "The file is not a PEM private key this server can read.") from None
    if not isinstance(key, PrivateKey):
        raise PemError("parse", "The private key is of a type TLS clients do not use.")
    return key


def key_matches(subject: x509.Certificate | x509.CertificateSigningRequest, key: PrivateKey) -> bool:
    """Whether `key` is the private half of the certificate's (or CSR's) public key."""
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return spki == public_key_der(subject)


def load_chain(text: str) -> list[x509.Certificate]:
    """One or more PEM certificates (an issuer chain, the issuer first). Raises PemError."""
    blocks = split_pem_blocks(text)
    if not blocks:
        raise PemError("block_count", "The chain holds no PEM certificate.")
    chain: list[x509.Certificate] = []
    for number, block in enumerate(blocks, start=1):
        if block.label != CERTIFICATE_LABEL:
            raise PemError("block_type", f"Block {number} of the chain is a {block.label}, not a CERTIFICATE.")
        try:
            chain.append(x509.load_der_x509_certificate(block.der))
        except ValueError:
            raise PemError("parse", f"Certificate {number} of the chain cannot be read.") from None
    return chain


def pkcs12_bytes(
    key: PrivateKey,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate],
    *,
    friendly_name: str,
    passphrase: bytes,
    compatibility: Compatibility,
) -> bytes:
    """The key, the certificate and its chain in one PKCS#12, encrypted with `passphrase`."""
    if compatibility == "modern":
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(MODERN_KDF_ROUNDS)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
            .build(passphrase)
        )
    else:
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(LEGACY_KDF_ROUNDS)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())  # noqa: S303 - what the legacy readers this mode exists for understand
            .build(passphrase)
        )
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode("utf-8"), key, certificate, list(chain) or None, encryption
    )


def pem_bundle(certificate: x509.Certificate, chain: Sequence[x509.Certificate]) -> bytes:
    """The certificate, then its chain, as PEM: what curl's `--cert` (with `--key`) and nginx read."""
    return b"".join(item.public_bytes(serialization.Encoding.PEM) for item in (certificate, *chain))
