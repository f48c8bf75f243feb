"""Text to `cryptography` objects: the structural rules every PEM input passes, in a fixed order.

Order: size, private key, block count, block type, parse. Private keys are looked for before anything
else reads the text, so that even a malformed key is refused as a key. Errors never quote the input.
"""

from __future__ import annotations

from typing import Literal

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from frontdoor_mcp.pki.errors import PemError
from frontdoor_mcp.pki.pem import (
    MAX_PEM_BYTES,
    PemBlock,
    bare_base64_payloads,
    has_private_key_marker,
    split_pem_blocks,
)

Expected = Literal["certificate", "csr", "either"]

CERTIFICATE_LABEL = "CERTIFICATE"
CSR_LABELS = frozenset({"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"})
_OPENSSH_KEY_MAGIC = b"openssh-key-v1\x00"

_WANTED = {
    "certificate": "a certificate (-----BEGIN CERTIFICATE-----)",
    "csr": "a certificate signing request (-----BEGIN CERTIFICATE REQUEST-----)",
    "either": "a certificate (-----BEGIN CERTIFICATE-----) or a CSR (-----BEGIN CERTIFICATE REQUEST-----)",
}


def contains_private_key(text: str) -> bool:
    """Whether the text holds a private key, framed as PEM/OpenSSH/PuTTY or as bare base64 DER."""
    if has_private_key_marker(text):
        return True
    return any(_is_private_key_der(payload) for payload in bare_base64_payloads(text))


def _is_private_key_der(der: bytes) -> bool:
    if der.startswith(_OPENSSH_KEY_MAGIC):
        return True
    try:
        # Skipping RSA validation: we only ask "is this a key?", and validation is slow for big keys.
        serialization.load_der_private_key(der, password=None, unsafe_skip_rsa_key_validation=True)
    except (TypeError, UnsupportedAlgorithm):
        return True  # an encrypted key, or a key of an algorithm we cannot load: a key all the same
    except ValueError:
        return False
    return True


def check_size(text: str) -> None:
    """Refuse input over MAX_PEM_BYTES (rule `size`)."""
    if len(text) > MAX_PEM_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_PEM_BYTES:
        raise PemError(
            "size",
            f"The input is larger than {MAX_PEM_BYTES // 1024} KiB, far more than one certificate or CSR needs; "
            "give a single PEM block.",
        )


def check_no_private_key(text: str, expected: Expected) -> None:
    """Refuse input that holds a private key (rule `private_key`)."""
    if contains_private_key(text):
        raise PemError(
            "private_key",
            "The input contains a private key. Private keys must never be sent to the API; "
            f"give only {_WANTED[expected]}.",
        )


def single_block(text: str, expected: Expected) -> PemBlock:
    """Apply size, private key, block count and block type rules; return the one PEM block."""
    check_size(text)
    check_no_private_key(text, expected)
    blocks = split_pem_blocks(text)
    if len(blocks) != 1:
        found = "no PEM block" if not blocks else f"{len(blocks)} PEM blocks"
        hint = " Bundles and chains are not accepted: give the leaf certificate alone." if len(blocks) > 1 else ""
        raise PemError("block_count", f"Expected exactly one PEM block, {_WANTED[expected]}; found {found}.{hint}")
    block = blocks[0]
    is_cert = block.label == CERTIFICATE_LABEL
    is_csr = block.label in CSR_LABELS
    if expected == "certificate" and is_csr:
        raise PemError(
            "block_type",
            "The input is a certificate signing request (CSR), not a certificate. To have NetFoundry sign a CSR, "
            "use create_client_certificate_from_csr.",
        )
    if expected == "csr" and is_cert:
        raise PemError(
            "block_type",
            "The input is a certificate, not a certificate signing request (CSR). To upload an existing "
            "certificate, use upload_client_certificate.",
        )
    if not (is_cert or is_csr):
        raise PemError("block_type", f"Expected {_WANTED[expected]}; found a PEM block of another type.")
    return block


def load_certificate(text: str) -> x509.Certificate:
    """Load exactly one PEM certificate, applying the structural rules."""
    return _certificate_from_der(single_block(text, "certificate").der)


def load_csr(text: str) -> x509.CertificateSigningRequest:
    """Load exactly one PEM CSR (either CSR label), applying the structural rules."""
    return _csr_from_der(single_block(text, "csr").der)


def load_certificate_or_csr(text: str) -> x509.Certificate | x509.CertificateSigningRequest:
    """Load one PEM certificate or CSR, chosen by the block label."""
    block = single_block(text, "either")
    if block.label == CERTIFICATE_LABEL:
        return _certificate_from_der(block.der)
    return _csr_from_der(block.der)


def _certificate_from_der(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        # The library's message is not quoted: keep errors free of anything derived from the input.
        raise PemError(
            "parse", "The CERTIFICATE block is not a valid X.509 certificate; copy it again without changes."
        ) from None


def _csr_from_der(der: bytes) -> x509.CertificateSigningRequest:
    try:
        return x509.load_der_x509_csr(der)
    except ValueError:
        raise PemError(
            "parse", "The CERTIFICATE REQUEST block is not a valid PKCS#10 CSR; copy it again without changes."
        ) from None
