"""Would a share let in a client that presents this certificate? Each rule judged on its own, with why (in our
words only: the share's own values are data, never quoted here), and a verdict: admit, refuse, or cannot decide.

The documented facts: a share that names a client certificate requires mTLS (without one it requires none); its
filters (`allowedSubjects`, `allowedCommonNamePrefixes`, `requiredOrganizationalUnit`, one OU) combine with AND.
The certificate itself is judged as a TLS server verifies a client's (OpenSSL's SSL-client purpose, without
X509_STRICT): what CA rights, validity, key usage and extended key usage mean is what OpenSSL says. Where the
documentation is silent, the reading applied is `INTERPRETATION`, returned with every verdict.

Every list is judged whole, and every value whole, however long: values are capped only where shown. A filter
that is set but cannot be read never reads as "not set": the verdict is then "cannot decide", never admit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from frontdoor_mcp.pki.dn import DnError, name_rdns, parse_dn
from frontdoor_mcp.pki.errors import PemError
from frontdoor_mcp.pki.parse import load_certificate

ExtensionT = TypeVar("ExtensionT", bound=x509.ExtensionType)
Outcome = Literal["pass", "fail", "not_set", "cannot_decide"]
Verdict = Literal["admit", "refuse", "cannot_decide"]
REASONS_SHOWN: Final = 3

INTERPRETATION: Final = (
    "All the filters that are set must pass (documented); within one list any entry may match (not documented).",
    "The share's certificate is read as a trust anchor, as OpenSSL verifies a client's certificate (not "
    "documented: a share may pin one certificate or trust what it signs): the presented certificate passes when it "
    "is that certificate, or is signed by it and it is a CA (basic constraints CA; without basic constraints, a key "
    "usage with keyCertSign), valid now, whose extended key usage, if any, includes clientAuth.",
    "A client's certificate with an extended key usage needs clientAuth, and with a key usage, digitalSignature "
    "or keyAgreement: OpenSSL and Go refuse it otherwise. NetFoundry signs certificates from a CSR with serverAuth "
    "only (the guide), so no client can present one, nor can one anchor a share.",
    "Subjects are distinguished names read per RFC 4514 (escapes kept, spaces around separators ignored), "
    "compared whole: same attributes, same order, same values, case-sensitive. With several CNs, every CN must "
    "start with an allowed prefix (which CN a share reads is not documented: this admits only what every reading "
    "would). The required OU is one value, matched exactly by any OU of the subject.",
)


@dataclass(frozen=True)
class FilterValues:
    """A filter as the API gave it: its entries, whole, and why any others could not be read (in our words,
    e.g. "entry 3 is a number, not text")."""

    entries: tuple[str, ...]
    unreadable: tuple[str, ...] = ()

    @property
    def is_set(self) -> bool:
        return bool(self.entries or self.unreadable)


@dataclass(frozen=True)
class ShareRules:
    """What a share says about who gets in."""

    requires_mtls: bool
    trusted_pem: str | None = None
    """The PEM of the certificate the share names; None when it is missing or could not be read."""
    trusted_missing: str | None = None
    """Why there is no trusted certificate at all (it no longer exists): the share admits nobody."""
    trusted_unreadable: str | None = None
    """Why the trusted certificate could not be read just now: whom the share trusts is unknown."""
    allowed_subjects: FilterValues | None = None
    allowed_common_name_prefixes: FilterValues | None = None
    required_organizational_unit: FilterValues | None = None


@dataclass(frozen=True)
class RuleVerdict:
    rule: str
    outcome: Outcome
    why: str


@dataclass(frozen=True)
class AdmissionVerdict:
    verdict: Verdict
    rules: list[RuleVerdict] = field(default_factory=list[RuleVerdict])


def evaluate_admission(certificate_pem: str, rules: ShareRules, *, now: datetime) -> AdmissionVerdict:
    """Judge `certificate_pem` (one certificate) against `rules`, rule by rule. Raises `PemError` if the
    presented text is not exactly one certificate."""
    presented = load_certificate(certificate_pem)
    if not rules.requires_mtls:
        reaches = "The share names no client certificate, so it requires none: any client reaches it."
        return AdmissionVerdict("admit", [RuleVerdict("mtls", "not_set", reaches)])
    verdicts = [
        RuleVerdict("mtls", "pass", "The share names a client certificate, so it requires mTLS."),
        _trust(presented, rules, now),
        _validity(presented, now),
        _client_purpose(presented),
        _subjects(presented, rules.allowed_subjects),
        _common_name_prefixes(presented, rules.allowed_common_name_prefixes),
        _organizational_unit(presented, rules.required_organizational_unit),
    ]
    outcomes = {verdict.outcome for verdict in verdicts}
    verdict: Verdict = "refuse" if "fail" in outcomes else "cannot_decide" if "cannot_decide" in outcomes else "admit"
    return AdmissionVerdict(verdict, verdicts)


# The chain ---------------------------------------------------------------------------------------------------


def _trust(presented: x509.Certificate, rules: ShareRules, now: datetime) -> RuleVerdict:
    if rules.trusted_pem is None:
        if rules.trusted_unreadable is not None:
            return RuleVerdict("trust", "cannot_decide", rules.trusted_unreadable)
        return RuleVerdict("trust", "fail", rules.trusted_missing or "The share's certificate does not exist.")
    try:
        trusted = load_certificate(rules.trusted_pem)
    except PemError:
        why = "The share's certificate is stored in a form that cannot be read, so whom it trusts is unknown."
        return RuleVerdict("trust", "cannot_decide", why)
    if presented.fingerprint(hashes.SHA256()) == trusted.fingerprint(hashes.SHA256()):
        return RuleVerdict("trust", "pass", "It is the share's certificate itself, a trust anchor as it is.")
    if not _signed_by(presented, trusted):
        why = "It is neither the share's certificate nor signed by it (issuer or signature differs)."
        return RuleVerdict("trust", "fail", why)
    problems = _issuer_problems(trusted, now)
    if problems:
        why = f"It is signed by the share's certificate, but TLS verifiers refuse that one as an issuer: {problems}."
        return RuleVerdict("trust", "fail", why)
    return RuleVerdict("trust", "pass", "It is signed by the share's certificate, a CA valid now.")


def _signed_by(presented: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` issued `presented` as OpenSSL matches them: the names, the key identifiers when both
    carry one, and the signature."""
    try:
        presented.verify_directly_issued_by(issuer)  # issuer name, then the signature
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    authority = _extension(presented, x509.AuthorityKeyIdentifier)
    subject_key = _extension(issuer, x509.SubjectKeyIdentifier)
    if authority is not None and authority.key_identifier is not None and subject_key is not None:
        return authority.key_identifier == subject_key.digest
    return True


def _issuer_problems(issuer: x509.Certificate, now: datetime) -> str:
    """What stops OpenSSL from accepting `issuer` above a client's certificate; empty when nothing does."""
    problems: list[str] = []
    not_a_ca = _not_a_ca(issuer)
    if not_a_ca:
        problems.append(not_a_ca)
    usages = _extension(issuer, x509.ExtendedKeyUsage)
    if usages is not None and ExtendedKeyUsageOID.CLIENT_AUTH not in usages:
        problems.append("its extended key usage lacks clientAuth (an issuer's restricts what it signs)")
    if now < issuer.not_valid_before_utc:
        problems.append(f"it is not valid until {issuer.not_valid_before_utc:%Y-%m-%d %H:%M} UTC")
    elif now > issuer.not_valid_after_utc:
        problems.append(f"it expired on {issuer.not_valid_after_utc:%Y-%m-%d %H:%M} UTC")
    return "; ".join(problems)


def _not_a_ca(certificate: x509.Certificate) -> str:
    """Why OpenSSL (without X509_STRICT) does not take `certificate` for a CA; empty when it does."""
    key_usage = _extension(certificate, x509.KeyUsage)
    if key_usage is not None and not key_usage.key_cert_sign:
        return "its key usage lacks keyCertSign"
    constraints = _extension(certificate, x509.BasicConstraints)
    if constraints is not None:
        return "" if constraints.ca else "its basic constraints say it is not a CA"
    if key_usage is not None:
        return ""  # keyCertSign without basic constraints: a CA, unless X509_STRICT is set
    if certificate.version == x509.Version.v1 and certificate.issuer == certificate.subject:
        return ""  # an old self-signed v1 root
    return "it has no CA rights (neither basic constraints nor a key usage with keyCertSign)"


def _validity(presented: x509.Certificate, now: datetime) -> RuleVerdict:
    if now < presented.not_valid_before_utc:
        return RuleVerdict("validity", "fail", f"Not valid until {presented.not_valid_before_utc:%Y-%m-%d %H:%M} UTC.")
    if now > presented.not_valid_after_utc:
        return RuleVerdict("validity", "fail", f"Expired on {presented.not_valid_after_utc:%Y-%m-%d %H:%M} UTC.")
    return RuleVerdict("validity", "pass", f"Valid now, until {presented.not_valid_after_utc:%Y-%m-%d}.")


def _client_purpose(presented: x509.Certificate) -> RuleVerdict:
    usages = _extension(presented, x509.ExtendedKeyUsage)
    if usages is not None and ExtendedKeyUsageOID.CLIENT_AUTH not in usages:
        why = (
            "Its extended key usage lacks clientAuth: OpenSSL and Go refuse it as a client certificate (NetFoundry "
            "signs certificates with serverAuth only; a client presents a certificate that such a one signed)."
        )
        return RuleVerdict("client_auth", "fail", why)
    key_usage = _extension(presented, x509.KeyUsage)
    if key_usage is not None and not (key_usage.digital_signature or key_usage.key_agreement):
        why = "Its key usage allows neither digitalSignature nor keyAgreement, which a TLS client's key needs."
        return RuleVerdict("client_auth", "fail", why)
    allowed = "includes clientAuth" if usages is not None else "is not restricted"
    return RuleVerdict("client_auth", "pass", f"Its extended key usage {allowed}.")


# The filters -------------------------------------------------------------------------------------------------


def _subjects(presented: x509.Certificate, allowed: FilterValues | None) -> RuleVerdict:
    rule = "allowed_subjects"
    if allowed is None or not allowed.is_set:
        return RuleVerdict(rule, "not_set", "The share sets no allowed subjects.")
    wanted = name_rdns(presented.subject)
    unreadable = list(allowed.unreadable)
    total = len(allowed.entries) + len(allowed.unreadable)
    matched: int | None = None
    for number, entry in enumerate(allowed.entries, start=1):
        try:
            parsed = parse_dn(entry)
        except DnError as exc:
            unreadable.append(f"entry {number}: {exc}")
            continue
        if matched is None and parsed == wanted:
            matched = number
    if unreadable:
        found = f"The subject is allowed subject {matched} of {total}" if matched else "The subject is none of the rest"
        return RuleVerdict(rule, "cannot_decide", _unknown(found, "allowed subjects", unreadable))
    if matched is not None:
        return RuleVerdict(rule, "pass", f"The subject is allowed subject {matched} of {total}.")
    return RuleVerdict(rule, "fail", f"The subject is none of the {total} allowed subject(s).")


def _common_name_prefixes(presented: x509.Certificate, prefixes: FilterValues | None) -> RuleVerdict:
    rule = "allowed_common_name_prefixes"
    if prefixes is None or not prefixes.is_set:
        return RuleVerdict(rule, "not_set", "The share sets no CN prefixes.")
    names = _values(presented.subject, NameOID.COMMON_NAME)
    total = len(prefixes.entries) + len(prefixes.unreadable)
    if not names:
        return RuleVerdict(rule, "fail", "The certificate has no CN.")
    unmatched = [n for n, name in enumerate(names, 1) if not any(name.startswith(p) for p in prefixes.entries)]
    if prefixes.unreadable:
        found = "Its CNs all start with a readable prefix" if not unmatched else "No readable prefix fits every CN"
        return RuleVerdict(rule, "cannot_decide", _unknown(found, "CN prefixes", prefixes.unreadable))
    if not unmatched:
        which = "Its CN starts" if len(names) == 1 else f"Each of its {len(names)} CNs starts"
        return RuleVerdict(rule, "pass", f"{which} with one of the {total} allowed prefixes.")
    which = "Its CN starts" if len(names) == 1 else f"CN {unmatched[0]} of its {len(names)} starts"
    return RuleVerdict(rule, "fail", f"{which} with none of the {total} allowed prefixes.")


def _organizational_unit(presented: x509.Certificate, required: FilterValues | None) -> RuleVerdict:
    rule = "required_organizational_unit"
    if required is None or not required.is_set:
        return RuleVerdict(rule, "not_set", "The share requires no OU.")
    if required.unreadable or len(required.entries) != 1:
        why = "The share's required OU is not one text value as documented, so which OU it requires is unknown."
        return RuleVerdict(rule, "cannot_decide", why)
    units = _values(presented.subject, NameOID.ORGANIZATIONAL_UNIT_NAME)
    if required.entries[0] in units:
        return RuleVerdict(rule, "pass", "The subject has the required OU.")
    why = "The subject has no OU." if not units else "No OU of the subject is exactly the one required."
    return RuleVerdict(rule, "fail", why)


def _unknown(found: str, what: str, reasons: Sequence[str]) -> str:
    """A filter with entries that cannot be read: what the readable ones say, which could not be read, and that
    the verdict is therefore unknown (how the share treats an entry nobody can read is not documented)."""
    shown = "; ".join(reasons[:REASONS_SHOWN])
    more = f"; and {len(reasons) - REASONS_SHOWN} more" if len(reasons) > REASONS_SHOWN else ""
    return (
        f"{found}, but {len(reasons)} of the {what} could not be read ({shown}{more}): whether the share admits "
        "it is unknown."
    )


def _values(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(attribute.value) for attribute in name.get_attributes_for_oid(oid)]


def _extension(certificate: x509.Certificate, kind: type[ExtensionT]) -> ExtensionT | None:
    try:
        return certificate.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None
