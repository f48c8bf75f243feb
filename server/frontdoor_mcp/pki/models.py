"""Decoded certificates and CSRs, as pydantic models that double as MCP output schemas.

No `cryptography` import here (directly or not): the tools import this module at start-up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

KeyTypeName = Literal["RSA", "EC", "Ed25519", "Ed448", "DSA", "unknown"]

_SUBJECT = "Subject distinguished name as an RFC 4514 string, most specific first (e.g. 'CN=api-client,O=Example')."
_SANS = (
    "Subject alternative names, each prefixed by its kind: 'DNS:example.com', 'IP:10.0.0.1', 'email:a@example.com', "
    "'URI:https://...', 'DirName:...', 'RID:...', 'othername:<oid>'. Empty when there is no SAN extension."
)
_KEY_TYPE = (
    "Public key algorithm: 'RSA', 'EC' (ECDSA), 'Ed25519', 'Ed448', 'DSA', or 'unknown'. Only RSA and EC keys are "
    "accepted for upload."
)
_KEY_SIZE = "Public key size in bits (e.g. 2048 for RSA, 256 for P-256); null when unknown."
_CURVE = "Elliptic curve name for EC keys (e.g. 'secp256r1' = P-256, 'secp384r1' = P-384); null otherwise."
_SIG_ALG = (
    "Signature algorithm name (e.g. 'ecdsa-with-SHA256', 'sha256WithRSAEncryption'), or its dotted OID when unnamed."
)
_PUBKEY_SHA256 = (
    "Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo. Equal values mean the same key pair; use it to match a "
    "certificate to a CSR or private key."
)


class CertificateDetails(BaseModel):
    """The decoded contents of an X.509 certificate."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str = Field(description=_SUBJECT)
    issuer: str = Field(
        description="Issuer (signing CA) distinguished name as an RFC 4514 string; equal to subject when self-signed."
    )
    serial_number: str = Field(description="Serial number as lowercase hex without colons.")
    not_before: datetime = Field(description="Start of validity (UTC).")
    not_after: datetime = Field(description="End of validity (UTC); the certificate is expired after this instant.")
    days_remaining: int = Field(
        description="Whole days until not_after, rounded down; negative when expired. Renew well before it reaches 0."
    )
    expired: bool = Field(description="True when the current time is past not_after.")
    not_yet_valid: bool = Field(
        description="True when the current time is before not_before (a future certificate, or a wrong local clock)."
    )
    subject_alternative_names: list[str] = Field(description=_SANS)
    key_type: KeyTypeName = Field(description=_KEY_TYPE)
    key_size: int | None = Field(description=_KEY_SIZE)
    curve: str | None = Field(description=_CURVE)
    signature_algorithm: str = Field(description=_SIG_ALG)
    key_usage: list[str] = Field(
        description=(
            "Key usage bits that are set, e.g. 'digital_signature', 'key_encipherment', 'key_cert_sign', 'crl_sign'. "
            "Empty when the extension is absent (no restriction)."
        )
    )
    extended_key_usage: list[str] = Field(
        description=(
            "Extended key usages, e.g. 'clientAuth' (needed for mTLS clients), 'serverAuth'; dotted OIDs for "
            "unnamed ones. Empty when the extension is absent (no restriction)."
        )
    )
    is_ca: bool = Field(description="True when basic constraints mark this certificate as a CA.")
    fingerprint_sha256: str = Field(
        description="SHA-256 fingerprint of the whole certificate, uppercase hex with colons (as openssl prints it)."
    )
    public_key_sha256: str = Field(description=_PUBKEY_SHA256)


class CsrDetails(BaseModel):
    """The decoded contents of a PKCS#10 certificate signing request (CSR)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str = Field(description=_SUBJECT)
    subject_alternative_names: list[str] = Field(description=_SANS)
    key_type: KeyTypeName = Field(description=_KEY_TYPE)
    key_size: int | None = Field(description=_KEY_SIZE)
    curve: str | None = Field(description=_CURVE)
    signature_algorithm: str = Field(description=_SIG_ALG)
    signature_valid: bool = Field(
        description=(
            "True when the CSR's self-signature verifies with its own public key. False means the CSR was altered "
            "or corrupted: create it again."
        )
    )
    public_key_sha256: str = Field(description=_PUBKEY_SHA256)
