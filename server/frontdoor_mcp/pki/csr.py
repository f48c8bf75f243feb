"""Generate a private key and a CSR for it, from validated subject fields and SANs."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from frontdoor_mcp.pki.extensions import name_string
from frontdoor_mcp.rules import KEY_TYPES, SUBJECT_FIELD_MAX_CHARS, KeyType

__all__ = ["KEY_TYPES", "KeyType", "NewKeyAndCsr", "SubjectFields", "generate_key_and_csr"]
MAX_SANS = 100

# Upper bounds from RFC 5280's ub-* values, so a CA does not reject the CSR later for them.
_LIMITS = {
    "common_name": SUBJECT_FIELD_MAX_CHARS,
    "organization": SUBJECT_FIELD_MAX_CHARS,
    "organizational_unit": SUBJECT_FIELD_MAX_CHARS,
    "state": 128,
    "locality": 128,
    "email": 255,
}
_OIDS = {
    "country": NameOID.COUNTRY_NAME,
    "state": NameOID.STATE_OR_PROVINCE_NAME,
    "locality": NameOID.LOCALITY_NAME,
    "organization": NameOID.ORGANIZATION_NAME,
    "organizational_unit": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "common_name": NameOID.COMMON_NAME,
    "email": NameOID.EMAIL_ADDRESS,
}
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DNS_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


@dataclass(frozen=True)
class SubjectFields:
    """Subject of a CSR. Only common_name is required."""

    common_name: str
    organization: str | None = None
    organizational_unit: str | None = None
    country: str | None = None
    state: str | None = None
    locality: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class NewKeyAndCsr:
    """A new CSR and its private key. The key must go to a file, never into a result, log or message."""

    csr_pem: str
    private_key_pem: bytes = field(repr=False)
    public_key_sha256: str
    subject: str

    def __repr__(self) -> str:
        return f"NewKeyAndCsr(subject={self.subject!r}, public_key_sha256={self.public_key_sha256!r})"


def generate_key_and_csr(
    subject: SubjectFields,
    *,
    dns_names: Sequence[str] = (),
    ip_addresses: Sequence[str] = (),
    key_type: KeyType = "ec-p256",
) -> NewKeyAndCsr:
    """Make a new private key and a SHA-256-signed CSR for it. Raises ValueError on invalid input."""
    name = _subject_name(subject)
    sans = _sans(dns_names, ip_addresses)
    key = _new_key(key_type)
    builder = x509.CertificateSigningRequestBuilder().subject_name(name)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    csr = builder.sign(key, hashes.SHA256())
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return NewKeyAndCsr(
        csr_pem=csr.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        public_key_sha256=hashlib.sha256(spki).hexdigest(),
        subject=name_string(csr.subject),
    )


def _new_key(key_type: KeyType) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    if key_type == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ec-p384":
        return ec.generate_private_key(ec.SECP384R1())
    if key_type in ("rsa-2048", "rsa-3072", "rsa-4096"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(key_type.removeprefix("rsa-")))
    raise ValueError(f"key_type must be one of {', '.join(KEY_TYPES)}.")


def _subject_name(subject: SubjectFields) -> x509.Name:
    values = {
        "country": _country(subject.country),
        "state": _text("state", subject.state),
        "locality": _text("locality", subject.locality),
        "organization": _text("organization", subject.organization),
        "organizational_unit": _text("organizational_unit", subject.organizational_unit),
        "common_name": _text("common_name", subject.common_name),
        "email": _email(subject.email),
    }
    if values["common_name"] is None:
        raise ValueError("common_name is required: a short name for the client, such as 'api-client-prod'.")
    # Order C, ST, L, O, OU, CN, emailAddress: what openssl writes, so the subject reads as users expect.
    return x509.Name([x509.NameAttribute(_OIDS[key], value) for key, value in values.items() if value is not None])


def _text(field_name: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if any(not ch.isprintable() for ch in value):
        raise ValueError(f"{field_name} must not contain control characters or line breaks.")
    if len(value) > _LIMITS[field_name]:
        raise ValueError(f"{field_name} must be at most {_LIMITS[field_name]} characters (got {len(value)}).")
    return value


def _country(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not _COUNTRY.fullmatch(value):
        raise ValueError("country must be a 2-letter ISO 3166 code, such as 'US' or 'DE'.")
    return value.upper()


def _email(value: str | None) -> str | None:
    value = _text("email", value)
    if value is not None and (not value.isascii() or not _EMAIL.fullmatch(value)):
        raise ValueError("email must be a plain ASCII address such as 'ops@example.com'.")
    return value


def _sans(dns_names: Sequence[str], ip_addresses: Sequence[str]) -> list[x509.GeneralName]:
    if isinstance(dns_names, str) or isinstance(ip_addresses, str):
        raise ValueError("dns_names and ip_addresses must be lists of strings, not a single string.")
    if len(dns_names) + len(ip_addresses) > MAX_SANS:
        raise ValueError(f"At most {MAX_SANS} DNS names and IP addresses in total.")
    names: list[x509.GeneralName] = []
    for dns in dict.fromkeys(_dns_name(value) for value in dns_names):  # dedupe, keep order
        names.append(x509.DNSName(dns))
    for ip in dict.fromkeys(_ip_address(value) for value in ip_addresses):
        names.append(x509.IPAddress(ip))
    return names


def _dns_name(value: str) -> str:
    name = value.strip().lower().removesuffix(".")
    if not name.isascii():
        raise ValueError(f"DNS name {_shown(value)} is not ASCII; give internationalised names in punycode (xn--...).")
    labels = name.split(".")
    if labels[0] == "*" and len(labels) > 2:  # a wildcard covers one leftmost label, never a bare TLD
        labels = labels[1:]
    if len(name) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        raise ValueError(
            f"DNS name {_shown(value)} is not a valid host name (letters, digits and hyphens in dot-separated labels, "
            "optionally starting with '*.')."
        )
    return name


def _ip_address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        raise ValueError(f"IP address {_shown(value)} is not a valid IPv4 or IPv6 address.") from None


def _shown(value: str) -> str:
    # Echo a bad value so the caller can find it, but never a wall of text.
    return repr(value if len(value) <= 80 else value[:77] + "...")
