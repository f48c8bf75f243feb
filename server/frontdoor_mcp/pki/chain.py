"""How a TLS server verifies the certificates a client presents against one trust anchor, as OpenSSL 3 does it
without X509_STRICT and with a partial chain allowed (the anchor need not be self-signed): which certificates
make the path, and what refuses it. Each rule here was seen in real handshakes (tests/test_admission_matrix.py).

The path: the client's certificate, then, at each step, the anchor if it issued the last one (OpenSSL looks
among trusted certificates first), else one of the certificates the client sent along. "Issued" is OpenSSL's
test before any signature is checked: the issuer's subject equals the certificate's issuer name compared in
canonical form (ASCII case and runs of spaces do not matter), and the authority key identifier, when both sides
carry one, fits. Then every certificate of the path is checked: critical extensions OpenSSL handles, CA rights
above the client's, a use that allows TLS clients, path length constraints, validity, signatures, key strength.

Key strength depends on the server's security level, which a frontdoor does not publish. Level 1 (OpenSSL's own
default) wants 80 bits of security, level 2 (Python's, Debian's, RHEL's) 112: an RSA key of 1,024 to about
1,960 bits, or an elliptic curve under 224 bits, passes the one and not the other, so it is "cannot decide".
SHA-1 and MD5 signatures fail at level 1 already (OpenSSL 3), as in Go; the anchor's own signature is not
checked (it is trusted as it is).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, ObjectIdentifier

ExtensionT = TypeVar("ExtensionT", bound=x509.ExtensionType)
Finding = Literal["pass", "fail", "cannot_decide"]

MAX_PATH: Final = 10
"""More issuers than any real client sends: a longer path is refused rather than followed."""
NETSCAPE_CERT_TYPE: Final = ObjectIdentifier("2.16.840.1.113730.1.1")
_NS_SSL_CLIENT: Final = 0x80
_NS_SSL_CA: Final = 0x04
_NS_ANY_CA: Final = 0x07  # sslCA, emailCA, objCA
HANDLED_CRITICAL: Final = frozenset(
    {
        NETSCAPE_CERT_TYPE,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.CERTIFICATE_POLICIES,
        ExtensionOID.CRL_DISTRIBUTION_POINTS,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ObjectIdentifier("1.3.6.1.5.5.7.1.7"),  # sbgp-ipAddrBlock (RFC 3779)
        ObjectIdentifier("1.3.6.1.5.5.7.1.8"),  # sbgp-autonomousSysNum (RFC 3779)
        ExtensionOID.OCSP_NO_CHECK,
        ExtensionOID.POLICY_CONSTRAINTS,
        ObjectIdentifier("1.3.6.1.5.5.7.1.14"),  # proxyCertInfo
        ExtensionOID.NAME_CONSTRAINTS,
        ExtensionOID.POLICY_MAPPINGS,
        ExtensionOID.INHIBIT_ANY_POLICY,
    }
)
"""The extensions OpenSSL 3 handles (`X509_supported_extension`): any other marked critical refuses the
certificate ("unhandled critical extension"), the key identifiers and authority information access included."""
WEAK_DIGESTS: Final = (hashes.SHA1, hashes.MD5)
LEVEL_1_BITS: Final = 80
"""OpenSSL's security level 1 (its own default): what a key must give for every server to accept it, nearly."""
LEVEL_2_BITS: Final = 112
"""Security level 2 (Python's default, Debian's, RHEL's): what every server we know of accepts."""
_SPACES: Final = re.compile(r"\s+")


@dataclass(frozen=True)
class PathCheck:
    """What the path says: `trust` (how the certificates chain to the anchor) and `strength` (their keys and
    signatures), each a finding with its reason."""

    trust: Finding
    trust_why: str
    strength: Finding
    strength_why: str


def check_path(presented: Sequence[x509.Certificate], anchor: x509.Certificate, *, now: datetime) -> PathCheck:
    """Judge the client's `presented` certificates (its own first, then any issuers it sends) against `anchor`."""
    path, missing = _build(presented, anchor)
    if missing:
        return PathCheck("fail", missing, "pass", "Not judged: there is no path to the share's certificate.")
    trust, trust_why = _trust(path, now)
    strength, strength_why = _strength(path)
    return PathCheck(trust, trust_why, strength, strength_why)


# The path ----------------------------------------------------------------------------------------------------


def _build(presented: Sequence[x509.Certificate], anchor: x509.Certificate) -> tuple[list[x509.Certificate], str]:
    """The path from the client's certificate to the anchor, or why there is none."""
    path = [presented[0]]
    spare = list(presented[1:])
    while len(path) <= MAX_PATH:
        current = path[-1]
        if current == anchor:
            return path, ""
        if issued(anchor, current):
            return [*path, anchor], ""
        issuer = next((candidate for candidate in spare if issued(candidate, current)), None)
        if issuer is None:
            sent = f" nor by any of the {len(spare)} other certificates sent with it" if len(presented) > 1 else ""
            where = "It is" if len(path) == 1 else f"Certificate {len(path)} of the path is"
            return path, f"{where} neither the share's certificate nor issued by it{sent}."
        spare.remove(issuer)
        path.append(issuer)
    return path, f"The certificates sent make a path longer than {MAX_PATH}: OpenSSL gives up on such a chain."


def issued(issuer: x509.Certificate, certificate: x509.Certificate) -> bool:
    """OpenSSL's "likely issued": names equal in canonical form, and the authority key identifier fitting the
    issuer's subject key identifier and serial number where both are present. The signature is checked later."""
    if canonical_name(certificate.issuer) != canonical_name(issuer.subject):
        return False
    authority = extension(certificate, x509.AuthorityKeyIdentifier)
    if authority is None:
        return True
    subject_key = extension(issuer, x509.SubjectKeyIdentifier)
    if (
        authority.key_identifier is not None
        and subject_key is not None
        and authority.key_identifier != subject_key.digest
    ):
        return False
    serial = authority.authority_cert_serial_number
    return serial is None or serial == issuer.serial_number


def canonical_name(name: x509.Name) -> tuple[tuple[tuple[str, str | bytes], ...], ...]:
    """A name as OpenSSL compares names of issuers: per RDN, each string value with its ends trimmed, runs of
    spaces made one, ASCII letters lower case (other characters as they are)."""
    return tuple(
        tuple(sorted((attribute.oid.dotted_string, _canonical(attribute.value)) for attribute in rdn))
        for rdn in name.rdns
    )


def _canonical(value: str | bytes) -> str | bytes:
    if isinstance(value, bytes):
        return value
    trimmed = _SPACES.sub(" ", value.strip())
    return "".join(char.lower() if char.isascii() else char for char in trimmed)


# The checks --------------------------------------------------------------------------------------------------


def _trust(path: Sequence[x509.Certificate], now: datetime) -> tuple[Finding, str]:
    undecided: list[str] = []
    for depth, certificate in enumerate(path):
        who = _who(depth, len(path))
        critical = unhandled_critical(certificate)
        if critical:
            return "fail", f"{who} has a critical extension OpenSSL does not handle ({critical}): it refuses it."
        if depth == 0:
            continue  # the client's own certificate: its validity and use are rules of their own
        problem = _issuer_problem(certificate, below=depth - 1, path=path, now=now)
        if problem:
            return "fail", f"{who} cannot vouch for a client here: {problem}."
        if extension(certificate, x509.NameConstraints) is not None:
            undecided.append(f"{who} has name constraints, which this check does not evaluate")
        if not _signs(certificate, path[depth - 1]):
            return (
                "fail",
                f"The signature on {_who(depth - 1, len(path)).lower()} does not verify with the key of {who.lower()}.",
            )
    if undecided:
        return "cannot_decide", _sentence("; ".join(undecided)) + "."
    if len(path) == 1:
        return "pass", "It is the share's certificate itself, a trust anchor as it is."
    if len(path) == 2:
        return "pass", "It is signed by the share's certificate, a CA valid now."
    return "pass", f"It chains to the share's certificate through {len(path) - 2} issuer(s) it sent, each valid now."


def _issuer_problem(issuer: x509.Certificate, *, below: int, path: Sequence[x509.Certificate], now: datetime) -> str:
    """What stops OpenSSL from accepting `issuer` above the client's certificate; empty when nothing does.
    `below`: how many certificates of the path are under it besides the client's."""
    not_a_ca = not_a_ca_reason(issuer)
    if not_a_ca:
        return not_a_ca
    usages = extension(issuer, x509.ExtendedKeyUsage)
    if usages is not None and ExtendedKeyUsageOID.CLIENT_AUTH not in usages:
        return "its extended key usage lacks clientAuth (an issuer's restricts what it signs)"
    if now < issuer.not_valid_before_utc:
        return f"it is not valid until {issuer.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
    if now > issuer.not_valid_after_utc:
        return f"it expired on {issuer.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
    constraints = extension(issuer, x509.BasicConstraints)
    if constraints is not None and constraints.path_length is not None:
        intermediates = sum(1 for certificate in path[1 : below + 1] if not _self_issued(certificate))
        if intermediates > constraints.path_length:
            allowed = constraints.path_length
            return f"its path length constraint allows {allowed} CA(s) below it, and there are {intermediates}"
    return ""


def not_a_ca_reason(certificate: x509.Certificate) -> str:
    """Why OpenSSL (without X509_STRICT) does not take `certificate` for a CA of TLS clients; empty when it does."""
    key_usage = extension(certificate, x509.KeyUsage)
    if key_usage is not None and not key_usage.key_cert_sign:
        return "its key usage lacks keyCertSign"
    constraints = extension(certificate, x509.BasicConstraints)
    if constraints is not None:
        return "" if constraints.ca else "its basic constraints say it is not a CA"
    if certificate.version == x509.Version.v1 and certificate.issuer == certificate.subject:
        return ""  # an old self-signed v1 root
    if key_usage is not None:
        return ""  # keyCertSign without basic constraints: a CA, unless X509_STRICT is set
    netscape = netscape_cert_type(certificate)
    if netscape is not None and netscape & _NS_ANY_CA:
        return "" if netscape & _NS_SSL_CA else "its Netscape certificate type names it a CA, but not of TLS clients"
    return "it has no CA rights (neither basic constraints nor a key usage with keyCertSign)"


def client_type_refused(certificate: x509.Certificate) -> bool:
    """Whether a Netscape certificate type on the client's certificate leaves out TLS clients (OpenSSL honours it)."""
    netscape = netscape_cert_type(certificate)
    return netscape is not None and not netscape & _NS_SSL_CLIENT


def netscape_cert_type(certificate: x509.Certificate) -> int | None:
    """The first byte of the Netscape certificate type's bits, if the certificate carries one it can read."""
    try:
        value = certificate.extensions.get_extension_for_oid(NETSCAPE_CERT_TYPE).value
    except x509.ExtensionNotFound:
        return None
    der = value.value if isinstance(value, x509.UnrecognizedExtension) else b""
    # A BIT STRING: tag 3, length, unused bits, then the bits (the first byte holds every flag used here).
    return der[3] if len(der) >= 4 and der[0] == 0x03 else 0


def unhandled_critical(certificate: x509.Certificate) -> str:
    """The dotted OIDs of critical extensions OpenSSL does not handle, or empty."""
    try:
        extensions = list(certificate.extensions)
    except ValueError:
        return "one it cannot parse"
    return ", ".join(e.oid.dotted_string for e in extensions if e.critical and e.oid not in HANDLED_CRITICAL)


def _signs(issuer: x509.Certificate, certificate: x509.Certificate) -> bool:
    """Whether `issuer`'s key verifies `certificate`'s signature (names were matched already)."""
    key = issuer.public_key()
    signature, signed = certificate.signature, certificate.tbs_certificate_bytes
    digest = certificate.signature_hash_algorithm
    parameters = certificate.signature_algorithm_parameters
    try:
        if isinstance(key, rsa.RSAPublicKey) and isinstance(parameters, padding.PSS | padding.PKCS1v15):
            key.verify(signature, signed, parameters, digest)  # pyright: ignore[reportArgumentType]
        elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(parameters, ec.ECDSA):
            key.verify(signature, signed, parameters)
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, signed)
        elif isinstance(key, dsa.DSAPublicKey) and digest is not None:
            key.verify(signature, signed, digest)
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def _strength(path: Sequence[x509.Certificate]) -> tuple[Finding, str]:
    undecided: list[str] = []
    for depth, certificate in enumerate(path):
        who = _who(depth, len(path))
        strength = _key_strength(certificate)
        if strength is not None:
            bits, described = strength
            if bits < LEVEL_1_BITS:
                return "fail", f"{who} has {described}: TLS servers refuse it at any usual security level."
            if bits < LEVEL_2_BITS:
                undecided.append(f"{who.lower()} has {described} ({bits}-bit security)")
        digest = certificate.signature_hash_algorithm
        if depth < len(path) - 1 and isinstance(digest, WEAK_DIGESTS):
            return "fail", f"{who} is signed with {digest.name.upper()}: OpenSSL 3 and Go refuse such signatures."
    if undecided:
        return "cannot_decide", (
            f"{_sentence('; '.join(undecided))}: a server at OpenSSL security level 2 (112 bits) refuses that, one at "
            "level 1 (80 bits) accepts it, and the frontdoor's level is not published."
        )
    return "pass", "Every key gives at least 112-bit security, and no signature uses SHA-1 or MD5."


def _key_strength(certificate: x509.Certificate) -> tuple[int, str] | None:
    """The key's security in bits as OpenSSL reckons it, and the key in words; None for a key it cannot read."""
    try:
        key = certificate.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return None
    if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey):
        kind = "RSA" if isinstance(key, rsa.RSAPublicKey) else "DSA"
        return factoring_security_bits(key.key_size), f"a {key.key_size}-bit {kind} key"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.curve.key_size // 2, f"a key on the {key.curve.name} curve"
    return None  # Ed25519 and Ed448: 128 and 224 bits, enough at every level


def factoring_security_bits(modulus_bits: int) -> int:
    """OpenSSL 3's estimate for RSA and DSA (`ossl_ifc_ffc_compute_security_bits`): the standards' values for the
    usual sizes, else NIST SP 800-56B's formula rounded to a multiple of 8 (so a 2,040-bit key gives 112)."""
    usual = {2048: 112, 3072: 128, 4096: 152, 6144: 176, 7680: 192, 8192: 200, 15360: 256}
    if modulus_bits in usual:
        return usual[modulus_bits]
    if modulus_bits < 8:
        return 0
    x = modulus_bits * math.log(2)
    estimate = (1.923 * (x * math.log(x) ** 2) ** (1 / 3) - 4.69) / math.log(2)
    return min((int(estimate) + 4) & ~7, 1200)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _self_issued(certificate: x509.Certificate) -> bool:
    return canonical_name(certificate.subject) == canonical_name(certificate.issuer)


def _who(depth: int, length: int) -> str:
    if depth == 0:
        return "The client's certificate" if length > 1 else "The certificate"
    if depth == length - 1:
        return "The share's certificate"
    return f"Issuer {depth} (sent by the client)"


def extension(certificate: x509.Certificate, kind: type[ExtensionT]) -> ExtensionT | None:
    """The certificate's extension of this kind, if it has one that can be read."""
    try:
        return certificate.extensions.get_extension_for_class(kind).value
    except (x509.ExtensionNotFound, ValueError):
        return None
