"""The sandbox's signing CA, and the PEM checks the API applies to a certificate `value`.

The guide documents what NetFoundry puts in a certificate signed from a CSR; `SigningCA.sign_csr`
reproduces exactly that. The CA key is EC P-256 because it is generated on every in-memory sandbox
start (one per test) and P-256 costs about a millisecond where RSA costs tens.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "NC"),
        x509.NameAttribute(NameOID.LOCALITY_NAME, "Charlotte"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "NetFoundry"),
        x509.NameAttribute(NameOID.COMMON_NAME, "NetFoundry"),
    ]
)
"""Issuer of every signed certificate: `C=US, ST=NC, L=Charlotte, O=NetFoundry, CN=NetFoundry` (the guide)."""

SIGNED_VALIDITY = timedelta(days=365)
_CA_VALIDITY = timedelta(days=3650)

_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_CERTIFICATE = "CERTIFICATE"
# OpenSSL before 1.0 (and some tools still) label a CSR "NEW CERTIFICATE REQUEST"; both are the same DER.
_CSR_LABELS = frozenset({"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"})


class RejectedValue(ValueError):
    """A `value` the API rejects with 400 invalid_request; the message is safe to return to the caller."""


@dataclass(frozen=True)
class UploadedCertificate:
    """A `value` holding a certificate (PEM block `CERTIFICATE`): stored as given."""

    certificate: x509.Certificate


@dataclass(frozen=True)
class CertificateRequest:
    """A `value` holding a CSR (PEM block `CERTIFICATE REQUEST`) whose signature verifies: to be signed."""

    csr: x509.CertificateSigningRequest


ParsedValue = UploadedCertificate | CertificateRequest


def parse_value(value: str) -> ParsedValue:
    """Classify and check a certificate `value` by its PEM block type, the way create tells upload from CSR.

    Every PEM block must be of the first block's kind: a chain of certificates may be uploaded, but a
    private key (or anything else) riding along is refused: the guide says keys never travel through the API.
    """
    labels = _PEM_BEGIN.findall(value)
    if not labels:
        raise RejectedValue("value must be a PEM-encoded CERTIFICATE or CERTIFICATE REQUEST")
    first = labels[0]
    if first != _CERTIFICATE and first not in _CSR_LABELS:
        raise RejectedValue(f"value must be a CERTIFICATE or CERTIFICATE REQUEST PEM block, not {_label(first)}")
    for label in labels[1:]:
        if first in _CSR_LABELS or label != _CERTIFICATE:
            raise RejectedValue(
                f"value must hold a single CERTIFICATE REQUEST or only CERTIFICATE blocks, found {_label(label)}"
            )
    data = value.encode("utf-8", errors="replace")
    if first == _CERTIFICATE:
        try:
            return UploadedCertificate(x509.load_pem_x509_certificate(data))
        except ValueError:
            raise RejectedValue("value is not a parsable PEM CERTIFICATE") from None
    try:
        csr = x509.load_pem_x509_csr(data)
    except ValueError:
        raise RejectedValue("value is not a parsable PEM CERTIFICATE REQUEST") from None
    try:
        valid = csr.is_signature_valid
    except (UnsupportedAlgorithm, InvalidSignature, ValueError):
        valid = False
    if not valid:
        raise RejectedValue("value is a CERTIFICATE REQUEST whose signature does not verify")
    try:
        _ = csr.extensions  # parsed lazily; a malformed extension would otherwise fail later, while signing
    except ValueError:
        raise RejectedValue("value is a CERTIFICATE REQUEST with malformed extensions") from None
    return CertificateRequest(csr)


def _label(label: str) -> str:
    return label[:40]


class SigningCA:
    """A self-signed CA named like NetFoundry's, kept (key and certificate) in the sandbox database."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate) -> None:
        self._key = key
        self.certificate = certificate

    def __repr__(self) -> str:  # never show key material
        return f"SigningCA(subject={self.certificate.subject.rfc4514_string()!r})"

    @classmethod
    def generate(cls, now: datetime | None = None) -> SigningCA:
        start = _second(now or datetime.now(UTC))
        key = ec.generate_private_key(ec.SECP256R1())
        public = key.public_key()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(CA_NAME)
            .issuer_name(CA_NAME)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + _CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    @classmethod
    def from_pem(cls, key_pem: bytes, certificate_pem: bytes) -> SigningCA:
        key = serialization.load_pem_private_key(key_pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("the stored sandbox CA key is not an EC key")
        return cls(key, x509.load_pem_x509_certificate(certificate_pem))

    def to_pem(self) -> tuple[bytes, bytes]:
        """(key PEM, certificate PEM). The key is unencrypted: it is a throwaway test CA living in the sandbox DB."""
        key_pem = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return key_pem, self.certificate.public_bytes(serialization.Encoding.PEM)

    def sign_csr(
        self,
        csr: x509.CertificateSigningRequest,
        now: datetime | None = None,
        *,
        subject: x509.Name | None = None,
        validity: timedelta = SIGNED_VALIDITY,
    ) -> x509.Certificate:
        """Sign as the guide documents: the CSR's key and SANs; EKU serverAuth; the listed key usages. The
        subject is the CSR's unless `subject` is given (a request token fixes parts of it)."""
        start = _second(now or datetime.now(UTC))
        builder = (
            x509.CertificateBuilder()
            .subject_name(csr.subject if subject is None else subject)
            .issuer_name(CA_NAME)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + validity)
            # Exactly the documented bits, even though keyCertSign without a CA basic constraint is unusual:
            # the sandbox reproduces what the guide says NetFoundry issues, not what it should issue.
            .add_extension(_key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            # Key identifiers are not in the guide; any CA adds them and chain builders rely on them.
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
        )
        try:
            san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        except x509.ExtensionNotFound:
            pass
        else:
            builder = builder.add_extension(san.value, critical=san.critical)
        return builder.sign(self._key, hashes.SHA256())

    def serving_credentials(self, now: datetime | None = None) -> tuple[bytes, bytes]:
        """(certificate PEM, key PEM) the data plane serves TLS with: a fresh key, a certificate for
        `localhost`, `127.0.0.1` and `::1` (serverAuth), so a client trusting the sandbox CA verifies it."""
        start = _second(now or datetime.now(UTC))
        key = ec.generate_private_key(ec.SECP256R1())
        names = [
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(CA_NAME)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start - timedelta(minutes=5))
            .not_valid_after(start + SIGNED_VALIDITY)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def _key_usage(*, digital_signature: bool, key_cert_sign: bool, crl_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def sample_certificate_pem(ca: SigningCA, common_name: str, now: datetime) -> str:
    """A certificate `ca` signed for a fresh key (thrown away): a realistic `value` for seeded certificates."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .sign(key, hashes.SHA256())
    )
    return certificate_pem(ca.sign_csr(csr, now=now))
