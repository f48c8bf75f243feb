"""The input policy: what a certificate or CSR must be before any request carries it to the API.

Rules, in order: size, private_key, block_count, block_type, parse, (CSR: signature), key_strength,
signature_algorithm, (certificate: expired, not_yet_valid). The floor is the one the public CAs use:
RSA 2048/3072/4096 with e=65537 or ECDSA P-256/P-384, signed with SHA-256/384/512.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import SignatureAlgorithmOID

from frontdoor_mcp.pki.errors import PemError, PemPolicyError
from frontdoor_mcp.pki.inspect import describe_certificate, describe_csr
from frontdoor_mcp.pki.models import CertificateDetails, CsrDetails
from frontdoor_mcp.pki.parse import load_certificate, load_csr
from frontdoor_mcp.pki.pem import MAX_PEM_BYTES
from frontdoor_mcp.rules import expires_soon

__all__ = [
    "MAX_PEM_BYTES",
    "CheckedCertificate",
    "CheckedCsr",
    "PemError",
    "PemPolicyError",
    "check_certificate",
    "check_csr",
]

_RSA_SIZES = frozenset({2048, 3072, 4096})
_RSA_EXPONENT = 65537
_EC_CURVES = frozenset({"secp256r1", "secp384r1"})
_ACCEPTED_KEYS = "RSA 2048, 3072 or 4096 bits with public exponent 65537, or ECDSA P-256 or P-384"
_SIGNATURE_OIDS = frozenset(
    {
        SignatureAlgorithmOID.RSA_WITH_SHA256,
        SignatureAlgorithmOID.RSA_WITH_SHA384,
        SignatureAlgorithmOID.RSA_WITH_SHA512,
        SignatureAlgorithmOID.ECDSA_WITH_SHA256,
        SignatureAlgorithmOID.ECDSA_WITH_SHA384,
        SignatureAlgorithmOID.ECDSA_WITH_SHA512,
    }
)
_PSS_HASHES = (hashes.SHA256, hashes.SHA384, hashes.SHA512)
_ACCEPTED_SIGNATURES = "RSA, RSA-PSS or ECDSA with SHA-256, SHA-384 or SHA-512 (no MD5, no SHA-1, no DSA)"


@dataclass(frozen=True)
class CheckedCertificate:
    """A certificate that passed the policy. `pem` is the single block, canonically re-encoded."""

    pem: str
    details: CertificateDetails
    warnings: list[str]


@dataclass(frozen=True)
class CheckedCsr:
    """A CSR that passed the policy. `pem` is the single block, re-encoded as CERTIFICATE REQUEST."""

    pem: str
    details: CsrDetails


def check_certificate(text: str, *, now: datetime | None = None) -> CheckedCertificate:
    """Apply the policy to a certificate PEM. Raises `PemPolicyError`; warnings do not refuse."""
    try:
        cert = load_certificate(text)
        details = describe_certificate(cert, now=now)
    except PemError as err:
        raise PemPolicyError(err.rule, str(err)) from None
    _check_key(cert, details.key_type, details.key_size, details.curve, "certificate")
    _check_signature_algorithm(cert, details.signature_algorithm, "certificate")
    if details.expired:
        raise PemPolicyError(
            "expired",
            f"The certificate expired on {_date(details.not_after)}. "
            "Give a currently valid certificate, or create a new one from a CSR (generate_csr, then "
            "create_client_certificate_from_csr).",
        )
    if details.not_yet_valid:
        raise PemPolicyError(
            "not_yet_valid",
            f"The certificate is not valid until {_date(details.not_before)}. Wait until then, or, if that time "
            "has passed, check this computer's clock.",
        )
    warnings: list[str] = []
    if expires_soon(details.days_remaining):
        warnings.append(
            f"The certificate expires {_in_days(details.days_remaining)}, on {_date(details.not_after)}; "
            "plan its replacement now."
        )
    return CheckedCertificate(pem=_pem(cert), details=details, warnings=warnings)


def check_csr(text: str) -> CheckedCsr:
    """Apply the policy to a CSR PEM (either CSR label). Raises `PemPolicyError`."""
    try:
        csr = load_csr(text)
        details = describe_csr(csr)
    except PemError as err:
        raise PemPolicyError(err.rule, str(err)) from None
    if not details.signature_valid:
        raise PemPolicyError(
            "signature",
            "The CSR's signature does not verify: it was altered or corrupted after it was made. "
            "Copy it again exactly, or create a new one (generate_csr).",
        )
    _check_key(csr, details.key_type, details.key_size, details.curve, "CSR")
    _check_signature_algorithm(csr, details.signature_algorithm, "CSR")
    return CheckedCsr(pem=_pem(csr), details=details)


def _check_key(
    obj: x509.Certificate | x509.CertificateSigningRequest,
    key_type: str,
    key_size: int | None,
    curve: str | None,
    what: str,
) -> None:
    if key_type == "EC" and curve in _EC_CURVES:
        return
    described = _describe_key(key_type, key_size, curve)
    if key_type == "RSA" and key_size in _RSA_SIZES:
        public_key = obj.public_key()
        exponent = public_key.public_numbers().e if isinstance(public_key, rsa.RSAPublicKey) else None
        if exponent == _RSA_EXPONENT:
            return
        described = f"{described} with public exponent {exponent}"
    fix = (
        "generate_csr makes a new key and CSR that meet this."
        if what == "CSR"
        else "Use a certificate with such a key, e.g. generate_csr then create_client_certificate_from_csr."
    )
    raise PemPolicyError(
        "key_strength",
        f"The {what}'s key ({described}) is not accepted. Accepted keys: {_ACCEPTED_KEYS}. {fix}",
    )


def _describe_key(key_type: str, key_size: int | None, curve: str | None) -> str:
    if key_type == "unknown":
        return "an unsupported key type"
    if curve:
        return f"EC {curve}"
    return f"{key_type}-{key_size}" if key_type in ("RSA", "DSA") else key_type


def _check_signature_algorithm(
    obj: x509.Certificate | x509.CertificateSigningRequest, algorithm: str, what: str
) -> None:
    oid = obj.signature_algorithm_oid
    if oid in _SIGNATURE_OIDS:
        return
    if oid == SignatureAlgorithmOID.RSASSA_PSS:
        try:
            if isinstance(obj.signature_hash_algorithm, _PSS_HASHES):
                return
        except UnsupportedAlgorithm:
            pass
    fix = (
        "Create the CSR again with SHA-256 (generate_csr does)."
        if what == "CSR"
        else "Have it re-issued with a SHA-256 signature."
    )
    raise PemPolicyError(
        "signature_algorithm",
        f"The {what} is signed with {algorithm}, which is not accepted. Accepted signatures: "
        f"{_ACCEPTED_SIGNATURES}. {fix}",
    )


def _pem(obj: x509.Certificate | x509.CertificateSigningRequest) -> str:
    return obj.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _in_days(days: int) -> str:
    if days < 1:
        return "in less than a day"
    return "tomorrow" if days == 1 else f"in {days} days"
