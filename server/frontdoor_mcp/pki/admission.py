"""Would a share let in a client that presents this certificate? Each rule judged on its own, with why (in
our words only: the share's own values are data, shown apart from the verdicts).

The documented facts: a share that names a client certificate requires mTLS (without one it requires none);
its filters (`allowedSubjects`, `allowedCommonNamePrefixes`, `requiredOrganizationalUnit`) combine with AND.
Where the documentation is silent, the reading applied is stated in `INTERPRETATION` and returned with every
verdict: any entry of one list may match; the share's certificate is a trust anchor (the presented one passes
when it is that certificate or is signed by it); names are compared exactly, after RFC 4514 parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from frontdoor_mcp.pki.errors import PemError
from frontdoor_mcp.pki.parse import load_certificate

Outcome = Literal["pass", "fail", "not_set", "warning"]

INTERPRETATION: Final = (
    "All the filters that are set must pass (documented); within one list any entry may match (not documented).",
    "The share's certificate is read as a trust anchor: a certificate passes when it is that certificate or is "
    "signed by it (the documentation does not say whether it pins one certificate or trusts what it signs).",
    "Subjects are compared as distinguished names parsed per RFC 4514: same attributes, same order, same values, "
    "case-sensitive; CN prefixes and OUs are compared case-sensitively (normalisation is not documented).",
)


@dataclass(frozen=True)
class ShareRules:
    """What a share says about who gets in."""

    requires_mtls: bool
    trusted_pem: str | None = None
    """The PEM of the certificate the share names; None when it could not be read (`trusted_missing`)."""
    trusted_missing: str | None = None
    allowed_subjects: tuple[str, ...] | None = None
    allowed_common_name_prefixes: tuple[str, ...] | None = None
    required_organizational_units: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RuleVerdict:
    rule: str
    outcome: Outcome
    why: str


@dataclass(frozen=True)
class AdmissionVerdict:
    admitted: bool
    rules: list[RuleVerdict] = field(default_factory=list[RuleVerdict])


def evaluate_admission(certificate_pem: str, rules: ShareRules, *, now: datetime) -> AdmissionVerdict:
    """Judge `certificate_pem` (one certificate) against `rules`, rule by rule. Raises `PemError` if the
    presented text is not exactly one certificate."""
    presented = load_certificate(certificate_pem)
    if not rules.requires_mtls:
        verdicts = [
            RuleVerdict(
                "mtls",
                "not_set",
                "The share names no client certificate, so it requires none: any client "
                "reaches it, with or without a certificate.",
            ),
            _client_auth_lint(presented),
        ]
        return AdmissionVerdict(True, verdicts)
    verdicts = [
        RuleVerdict("mtls", "pass", "The share names a client certificate, so it requires mTLS."),
        _trust(presented, rules),
        _validity(presented, now),
        _subjects(presented, rules.allowed_subjects),
        _common_name_prefixes(presented, rules.allowed_common_name_prefixes),
        _organizational_unit(presented, rules.required_organizational_units),
        _client_auth_lint(presented),
    ]
    admitted = all(verdict.outcome != "fail" for verdict in verdicts)
    return AdmissionVerdict(admitted, verdicts)


def _trust(presented: x509.Certificate, rules: ShareRules) -> RuleVerdict:
    if rules.trusted_pem is None:
        return RuleVerdict("trust", "fail", rules.trusted_missing or "The share's certificate could not be read.")
    try:
        trusted = load_certificate(rules.trusted_pem)
    except PemError:
        return RuleVerdict("trust", "fail", "The share's certificate is stored in a form that cannot be read.")
    if presented.fingerprint(hashes.SHA256()) == trusted.fingerprint(hashes.SHA256()):
        return RuleVerdict("trust", "pass", "It is the share's certificate itself.")
    try:
        presented.verify_directly_issued_by(trusted)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return RuleVerdict(
            "trust", "fail", "It is neither the share's certificate nor signed by it (issuer or signature differs)."
        )
    return RuleVerdict("trust", "pass", "It is signed by the share's certificate (the signature verifies).")


def _validity(presented: x509.Certificate, now: datetime) -> RuleVerdict:
    if now < presented.not_valid_before_utc:
        return RuleVerdict("validity", "fail", f"Not valid until {presented.not_valid_before_utc:%Y-%m-%d %H:%M} UTC.")
    if now > presented.not_valid_after_utc:
        return RuleVerdict("validity", "fail", f"Expired on {presented.not_valid_after_utc:%Y-%m-%d %H:%M} UTC.")
    return RuleVerdict("validity", "pass", f"Valid now, until {presented.not_valid_after_utc:%Y-%m-%d}.")


def _subjects(presented: x509.Certificate, allowed: tuple[str, ...] | None) -> RuleVerdict:
    if not allowed:
        return RuleVerdict("allowed_subjects", "not_set", "The share sets no allowed subjects.")
    wanted = _rdns(presented.subject)
    for number, entry in enumerate(allowed, start=1):
        parsed = _parse_dn(entry)
        if parsed is not None and _rdns(parsed) == wanted:
            return RuleVerdict(
                "allowed_subjects", "pass", f"The subject is allowed subject {number} of {len(allowed)}."
            )
    return RuleVerdict("allowed_subjects", "fail", f"The subject is none of the {len(allowed)} allowed subject(s).")


def _common_name_prefixes(presented: x509.Certificate, prefixes: tuple[str, ...] | None) -> RuleVerdict:
    if not prefixes:
        return RuleVerdict("allowed_common_name_prefixes", "not_set", "The share sets no CN prefixes.")
    names = _values(presented.subject, NameOID.COMMON_NAME)
    for number, prefix in enumerate(prefixes, start=1):
        if any(name.startswith(prefix) for name in names):
            why = f"The CN starts with allowed prefix {number} of {len(prefixes)}."
            return RuleVerdict("allowed_common_name_prefixes", "pass", why)
    why = "The certificate has no CN." if not names else f"The CN starts with none of the {len(prefixes)} prefixes."
    return RuleVerdict("allowed_common_name_prefixes", "fail", why)


def _organizational_unit(presented: x509.Certificate, required: tuple[str, ...] | None) -> RuleVerdict:
    if not required:
        return RuleVerdict("required_organizational_unit", "not_set", "The share requires no OU.")
    units = _values(presented.subject, NameOID.ORGANIZATIONAL_UNIT_NAME)
    if any(unit in units for unit in required):
        return RuleVerdict("required_organizational_unit", "pass", "The subject has the required OU.")
    why = "The subject has no OU." if not units else "The subject's OU is not the one required."
    return RuleVerdict("required_organizational_unit", "fail", why)


def _client_auth_lint(presented: x509.Certificate) -> RuleVerdict:
    try:
        usages = presented.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return RuleVerdict("client_auth", "pass", "No extended key usage: not restricted.")
    if ExtendedKeyUsageOID.CLIENT_AUTH in usages:
        return RuleVerdict("client_auth", "pass", "Its extended key usage includes clientAuth.")
    return RuleVerdict(
        "client_auth",
        "warning",
        "Its extended key usage lacks clientAuth (NetFoundry-signed certificates carry only serverAuth, per the "
        "guide): some TLS stacks refuse such a certificate from a client.",
    )


def _values(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(attribute.value) for attribute in name.get_attributes_for_oid(oid)]


def _rdns(name: x509.Name) -> list[frozenset[tuple[str, str]]]:
    return [frozenset((attribute.oid.dotted_string, str(attribute.value)) for attribute in rdn) for rdn in name.rdns]


_SEPARATOR_SPACES: Final = re.compile(r"\s*(?<!\\)([,+])\s*")


def _parse_dn(text: str) -> x509.Name | None:
    """A subject as the share gives it (`CN=service-account-1, O=MyCompany`: spaces after the commas, which
    RFC 4514 does not allow, are taken out first); None when it does not parse."""
    try:
        return x509.Name.from_rfc4514_string(_SEPARATOR_SPACES.sub(r"\1", text.strip()))
    except ValueError:
        return None
