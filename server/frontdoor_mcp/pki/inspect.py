"""Describe certificates and CSRs as plain models, and match a key to a certificate."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import NameOID

from frontdoor_mcp.pki.errors import PemError
from frontdoor_mcp.pki.extensions import (
    clean,
    extended_key_usage,
    is_ca,
    key_usage,
    name_string,
    oid_name,
    subject_alternative_names,
)
from frontdoor_mcp.pki.models import CertificateDetails, CsrDetails, KeyTypeName
from frontdoor_mcp.pki.parse import load_certificate, load_certificate_or_csr, load_csr


def describe_certificate(pem_or_cert: str | x509.Certificate, *, now: datetime | None = None) -> CertificateDetails:
    """Decode a certificate (one PEM block, or an already loaded certificate). Raises `PemError`."""
    now = _utc(now or datetime.now(UTC))
    if isinstance(pem_or_cert, str):
        # The same PEM is decoded again and again (every get of a certificate): decode once, then only
        # the fields that depend on the clock are computed afresh.
        return _at(_describe_pem_certificate(pem_or_cert), now)
    return _at(_decode_certificate(pem_or_cert), now)


@functools.lru_cache(maxsize=512)
def _describe_pem_certificate(pem: str) -> CertificateDetails:
    return _decode_certificate(load_certificate(pem))


def _at(details: CertificateDetails, now: datetime) -> CertificateDetails:
    """`details` as seen at `now`: days remaining, expired, not yet valid."""
    return details.model_copy(
        update={
            "days_remaining": (details.not_after - now).days,  # rounds down: negative once expired
            "expired": now > details.not_after,
            "not_yet_valid": now < details.not_before,
        }
    )


def _decode_certificate(cert: x509.Certificate) -> CertificateDetails:
    try:
        return _certificate_details(cert, _utc(datetime.now(UTC)))
    except PemError:
        raise
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType):
        # Extensions are decoded lazily, so a malformed one only shows up here.
        raise PemError("parse", "The certificate has a malformed extension and cannot be decoded.") from None


def describe_csr(pem_or_csr: str | x509.CertificateSigningRequest) -> CsrDetails:
    """Decode a CSR (one PEM block, or an already loaded CSR). Raises `PemError`."""
    csr = load_csr(pem_or_csr) if isinstance(pem_or_csr, str) else pem_or_csr
    try:
        return _csr_details(csr)
    except PemError:
        raise
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType):
        raise PemError("parse", "The CSR has a malformed extension or attribute and cannot be decoded.") from None


def describe_pem(text: str, *, now: datetime | None = None) -> CertificateDetails | CsrDetails:
    """Decode one PEM block, a certificate or a CSR according to its label. Raises `PemError`."""
    loaded = load_certificate_or_csr(text)
    if isinstance(loaded, x509.Certificate):
        return describe_certificate(loaded, now=now)
    return describe_csr(loaded)


@dataclass(frozen=True)
class CanonicalCertificate:
    """A certificate as it may be shown or saved: re-encoded from its parsed form, so nothing that rode along
    in the text it came from (a second block, a trailing payload, odd line breaks) comes with it."""

    pem: str
    public_key_sha256: str


def canonical_certificate(text: str) -> CanonicalCertificate:
    """The one certificate in `text`, re-encoded. Raises `PemError` unless `text` is exactly one certificate."""
    return _canonical(text)


@functools.lru_cache(maxsize=512)
def _canonical(text: str) -> CanonicalCertificate:
    cert = load_certificate(text)
    pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return CanonicalCertificate(pem, hashlib.sha256(public_key_der(cert)).hexdigest())


def certificate_matches_key(cert_pem: str, key_pem: bytes) -> bool:
    """Whether the PEM private key is the key pair of the certificate's public key. Raises `PemError`."""
    cert = load_certificate(cert_pem)
    try:
        key = serialization.load_pem_private_key(key_pem, password=None, unsafe_skip_rsa_key_validation=True)
    except TypeError:
        raise PemError("parse", "The private key is encrypted; decrypt it locally first to compare it.") from None
    except (ValueError, UnsupportedAlgorithm):
        raise PemError("parse", "The private key could not be read as an unencrypted PEM private key.") from None
    return _spki_der(key.public_key()) == public_key_der(cert)


def public_key_der(obj: x509.Certificate | x509.CertificateSigningRequest) -> bytes:
    """The DER SubjectPublicKeyInfo, taken verbatim from the structure when the key type is not loadable."""
    try:
        return _spki_der(obj.public_key())
    except UnsupportedAlgorithm:
        if isinstance(obj, x509.Certificate):
            return _spki_from_tbs(obj.tbs_certificate_bytes, skip=5)  # serial .. subject
        return _spki_from_tbs(obj.tbs_certrequest_bytes, skip=2)  # version, subject


def _certificate_details(cert: x509.Certificate, now: datetime) -> CertificateDetails:
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    key_type, key_size, curve = _key_facts(cert)
    extensions = cert.extensions
    return CertificateDetails(
        subject=name_string(cert.subject),
        issuer=name_string(cert.issuer),
        serial_number=format(cert.serial_number, "x"),
        not_before=not_before,
        not_after=not_after,
        days_remaining=(not_after - now).days,  # recomputed by _at for the caller's clock
        expired=now > not_after,
        not_yet_valid=now < not_before,
        subject_alternative_names=subject_alternative_names(extensions),
        key_type=key_type,
        key_size=key_size,
        curve=curve,
        signature_algorithm=oid_name(cert.signature_algorithm_oid),
        key_usage=key_usage(extensions),
        extended_key_usage=extended_key_usage(extensions),
        is_ca=is_ca(extensions),
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(":").upper(),
        public_key_sha256=hashlib.sha256(public_key_der(cert)).hexdigest(),
    )


def _csr_details(csr: x509.CertificateSigningRequest) -> CsrDetails:
    key_type, key_size, curve = _key_facts(csr)
    return CsrDetails(
        subject=name_string(csr.subject),
        subject_alternative_names=subject_alternative_names(csr.extensions),
        key_type=key_type,
        key_size=key_size,
        curve=curve,
        signature_algorithm=oid_name(csr.signature_algorithm_oid),
        signature_valid=_csr_signature_valid(csr),
        public_key_sha256=hashlib.sha256(public_key_der(csr)).hexdigest(),
    )


def _csr_signature_valid(csr: x509.CertificateSigningRequest) -> bool:
    try:
        if csr.is_signature_valid:
            return True
    except UnsupportedAlgorithm:
        pass
    # cryptography answers False for legacy hashes such as SHA-1 even when the signature is intact. Verify
    # those directly, so a weak CSR is reported as weak (by the policy) rather than as corrupted.
    try:
        key, params, digest = csr.public_key(), csr.signature_algorithm_parameters, csr.signature_hash_algorithm
        signature, data = csr.signature, csr.tbs_certrequest_bytes
        if isinstance(key, rsa.RSAPublicKey) and isinstance(params, padding.PKCS1v15 | padding.PSS) and digest:
            key.verify(signature, data, params, digest)
        elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(params, ec.ECDSA):
            key.verify(signature, data, params)
        elif isinstance(key, dsa.DSAPublicKey) and digest:
            key.verify(signature, data, digest)
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def _utc(moment: datetime) -> datetime:
    # A naive datetime is taken as UTC, the only zone certificates use.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _key_facts(
    obj: x509.Certificate | x509.CertificateSigningRequest,
) -> tuple[KeyTypeName, int | None, str | None]:
    try:
        key = obj.public_key()
    except UnsupportedAlgorithm:
        return "unknown", None, None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size, None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size, key.curve.name
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256, None
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456, None
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size, None
    return "unknown", None, None


def _spki_der(key: PublicKeyTypes) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _spki_from_tbs(tbs: bytes, *, skip: int) -> bytes:
    """Cut the SubjectPublicKeyInfo out of a TBSCertificate or CertificationRequestInfo.

    Only for key types `cryptography` cannot load: those still deserve a stable key hash. The fields before
    the SPKI are skipped (an optional [0] version first, in certificates).
    """
    try:
        pos = _tlv(tbs, 0)[1]  # into the outer SEQUENCE
        if tbs[pos] == 0xA0:  # a certificate's explicit [0] version
            pos = _tlv(tbs, pos)[2]
        for _ in range(skip):
            pos = _tlv(tbs, pos)[2]
        return tbs[pos : _tlv(tbs, pos)[2]]
    except IndexError:
        raise PemError("parse", "The structure is truncated and cannot be decoded.") from None


def _tlv(der: bytes, pos: int) -> tuple[int, int, int]:
    """Return (tag, content start, end) of the DER element at pos (low tag numbers only, as X.509 uses)."""
    tag, length = der[pos], der[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(der[pos : pos + count], "big")
        pos += count
    if pos + length > len(der):
        raise PemError("parse", "The structure is truncated and cannot be decoded.")
    return tag, pos, pos + length


SUBJECT_FIELDS: Final = (
    ("CN", NameOID.COMMON_NAME),
    ("O", NameOID.ORGANIZATION_NAME),
    ("OU", NameOID.ORGANIZATIONAL_UNIT_NAME),
)


def subject_fields_changed(csr_pem: str, certificate_pem: str) -> list[str]:
    """The CN, O and OU the certificate carries differently from the CSR (what an issuer fixed), as
    `LABEL=value`, the value escaped."""
    requested, issued = load_csr(csr_pem).subject, load_certificate(certificate_pem).subject
    changed: list[str] = []
    for label, oid in SUBJECT_FIELDS:
        given = [str(attribute.value) for attribute in issued.get_attributes_for_oid(oid)]
        if given and given != [str(attribute.value) for attribute in requested.get_attributes_for_oid(oid)]:
            changed.append(f"{label}={clean(', '.join(given))}")
    return changed
