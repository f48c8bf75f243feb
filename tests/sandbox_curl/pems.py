"""Real certificates and CSRs for the sandbox tests (the guide's sample PEMs are truncated)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def name(common_name: str, organization: str = "Example Corp") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def certificate_pem(common_name: str = "uploaded.example.com") -> str:
    """A self-signed client certificate, as someone would upload."""
    key = new_key()
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name(common_name))
        .issuer_name(name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def csr(common_name: str = "svc.example.com", sans: tuple[str, ...] = ()) -> x509.CertificateSigningRequest:
    builder = x509.CertificateSigningRequestBuilder().subject_name(name(common_name))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
    return builder.sign(new_key(), hashes.SHA256())


def csr_pem(common_name: str = "svc.example.com", sans: tuple[str, ...] = ()) -> str:
    return pem_of(csr(common_name, sans))


def pem_of(request: x509.CertificateSigningRequest) -> str:
    return request.public_bytes(serialization.Encoding.PEM).decode("ascii")


def tampered_csr_pem() -> str:
    """A well-formed CSR whose signature does not verify: one subject letter changed after signing."""
    der = csr("tamper.example.com").public_bytes(serialization.Encoding.DER)
    forged = der.replace(b"tamper.example.com", b"tamper.example.org")
    assert forged != der
    return (
        "-----BEGIN CERTIFICATE REQUEST-----\n"
        + "\n".join(_chunks(_b64(forged), 64))
        + "\n-----END CERTIFICATE REQUEST-----\n"
    )


def private_key_pem() -> str:
    return (
        new_key()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode("ascii")
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]
