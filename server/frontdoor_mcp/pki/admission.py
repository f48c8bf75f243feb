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
from typing import Final, Literal

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from frontdoor_mcp.pki.chain import check_path, client_type_refused, extension
from frontdoor_mcp.pki.credentials import load_chain
from frontdoor_mcp.pki.dn import DnError, name_rdns, parse_dn
from frontdoor_mcp.pki.errors import PemError
from frontdoor_mcp.pki.parse import load_certificate

Outcome = Literal["pass", "fail", "not_set", "cannot_decide"]
Verdict = Literal["admit", "refuse", "cannot_decide"]
REASONS_SHOWN: Final = 3

INTERPRETATION: Final = (
    "All the filters that are set must pass (documented); within one list any entry may match (not documented).",
    "The share's certificate is read as the one trust anchor, as OpenSSL 3 verifies a client (not documented: a "
    "share may pin one certificate instead): the client's certificate passes when it is that certificate or chains "
    "to it through any issuers it sends along, each above it a CA (basic constraints; without them, keyCertSign), "
    "valid, allowing clients (an extended key usage, if any, with clientAuth), within path length constraints.",
    "The client's certificate needs clientAuth in an extended key usage and digitalSignature or keyAgreement in a "
    "key usage, where it has them; a critical extension OpenSSL does not handle refuses any certificate. NetFoundry "
    "signs CSRs with serverAuth only (the guide), so such a certificate can neither be presented nor anchor a share.",
    "Keys of 80 to 111 bits of security (RSA of 1,024 to about 1,960 bits, curves under 224 bits) pass or fail by "
    "the server's security level (not published): cannot decide. SHA-1 and MD5 signatures are refused.",
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
    """Judge `certificate_pem` against `rules`, rule by rule: the client's certificate, then any issuers it sends
    along (as a client's certificate file may hold them). Raises `PemError` if the text holds anything else."""
    chain = load_chain(certificate_pem)
    presented = chain[0]
    if not rules.requires_mtls:
        reaches = "The share names no client certificate, so it requires none: any client reaches it."
        return AdmissionVerdict("admit", [RuleVerdict("mtls", "not_set", reaches)])
    verdicts = [
        RuleVerdict("mtls", "pass", "The share names a client certificate, so it requires mTLS."),
        *_trust(chain, rules, now),
        _validity(presented, now),
        _client_purpose(presented),
        _subjects(presented, rules.allowed_subjects),
        _common_name_prefixes(presented, rules.allowed_common_name_prefixes),
        _organizational_unit(presented, rules.required_organizational_unit),
    ]
    outcomes = {verdict.outcome for verdict in verdicts}
    verdict: Verdict = "refuse" if "fail" in outcomes else "cannot_decide" if "cannot_decide" in outcomes else "admit"
    return AdmissionVerdict(verdict, verdicts)


# The certificate ---------------------------------------------------------------------------------------------


def _trust(presented: Sequence[x509.Certificate], rules: ShareRules, now: datetime) -> tuple[RuleVerdict, RuleVerdict]:
    """The trust rule and the key strength rule: both judge the path from the client's certificate to the
    share's (`chain`), so a share whose certificate is unknown leaves both undecided or failed alike."""
    if rules.trusted_pem is None:
        if rules.trusted_unreadable is not None:
            unknown = RuleVerdict("key_strength", "cannot_decide", "Not judged: the share's certificate is unknown.")
            return RuleVerdict("trust", "cannot_decide", rules.trusted_unreadable), unknown
        missing = rules.trusted_missing or "The share's certificate does not exist."
        return RuleVerdict("trust", "fail", missing), RuleVerdict("key_strength", "not_set", "Not judged: no path.")
    try:
        anchor = load_certificate(rules.trusted_pem)
    except PemError:
        why = "The share's certificate is stored in a form that cannot be read, so whom it trusts is unknown."
        unknown = RuleVerdict("key_strength", "cannot_decide", "Not judged: the share's certificate is unknown.")
        return RuleVerdict("trust", "cannot_decide", why), unknown
    path = check_path(presented, anchor, now=now)
    return RuleVerdict("trust", path.trust, path.trust_why), RuleVerdict(
        "key_strength", path.strength, path.strength_why
    )


def _validity(presented: x509.Certificate, now: datetime) -> RuleVerdict:
    if now < presented.not_valid_before_utc:
        return RuleVerdict("validity", "fail", f"Not valid until {presented.not_valid_before_utc:%Y-%m-%d %H:%M} UTC.")
    if now > presented.not_valid_after_utc:
        return RuleVerdict("validity", "fail", f"Expired on {presented.not_valid_after_utc:%Y-%m-%d %H:%M} UTC.")
    return RuleVerdict("validity", "pass", f"Valid now, until {presented.not_valid_after_utc:%Y-%m-%d}.")


def _client_purpose(presented: x509.Certificate) -> RuleVerdict:
    usages = extension(presented, x509.ExtendedKeyUsage)
    if usages is not None and ExtendedKeyUsageOID.CLIENT_AUTH not in usages:
        why = "Its extended key usage lacks clientAuth: OpenSSL and Go refuse it as a client certificate."
        return RuleVerdict("client_auth", "fail", why)
    key_usage = extension(presented, x509.KeyUsage)
    if key_usage is not None and not (key_usage.digital_signature or key_usage.key_agreement):
        why = "Its key usage allows neither digitalSignature nor keyAgreement, which a TLS client's key needs."
        return RuleVerdict("client_auth", "fail", why)
    if client_type_refused(presented):
        why = "Its Netscape certificate type leaves out SSL clients, and OpenSSL honours it."
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
