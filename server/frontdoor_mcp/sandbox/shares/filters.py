"""Who a share admits once the TLS handshake has verified the client's certificate: its filters, as the sandbox
applies them. Written here on their own, sharing no code with the server's admission check, so that comparing
the check with what the data plane does means something.

The documentation says the filters that are set must all pass. The rest are sandbox choices (README, "Sandbox
choices"): an entry of a list admits on its own; an empty list is a filter not set; a subject matches an
allowed subject when both are the same distinguished name (RFC 4514 text, the spaces the console puts after
commas allowed, attribute names in any case, values exact); every CN of the subject must start with an allowed
prefix; the required OU is one value, which one of the subject's OUs must equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from cryptography import x509
from cryptography.x509.oid import NameOID

from frontdoor_mcp.sandbox.storage.rows import ShareRow

_NAMES: Final[dict[str, x509.ObjectIdentifier]] = {
    "SN": NameOID.SURNAME,
    "SERIALNUMBER": NameOID.SERIAL_NUMBER,
    "TITLE": NameOID.TITLE,
    "GIVENNAME": NameOID.GIVEN_NAME,
    "EMAILADDRESS": NameOID.EMAIL_ADDRESS,
    "E": NameOID.EMAIL_ADDRESS,
}
"""Attribute names beyond the ones `cryptography` knows (CN, L, ST, O, OU, C, STREET, DC, UID)."""
_SEPARATORS: Final = ",;+="


@dataclass(frozen=True)
class Refusal:
    rule: str
    """The filter that refused: `allowedSubjects`, `allowedCommonNamePrefixes` or `requiredOrganizationalUnit`."""
    reason: str


def refusal(certificate: x509.Certificate, share: ShareRow) -> Refusal | None:
    """Why `share` refuses the client that presented `certificate` (already verified by the handshake); None
    when every filter it sets passes."""
    subject = certificate.subject
    if share.allowed_subjects and not any(_same_name(subject, entry) for entry in share.allowed_subjects):
        return Refusal("allowedSubjects", f"the subject is none of the {len(share.allowed_subjects)} allowed")
    prefixes = share.allowed_common_name_prefixes
    if prefixes:
        names = [str(a.value) for a in subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        if not names:
            return Refusal("allowedCommonNamePrefixes", "the subject has no CN")
        for name in names:
            if not any(name.startswith(prefix) for prefix in prefixes):
                return Refusal("allowedCommonNamePrefixes", "a CN starts with none of the allowed prefixes")
    required = share.required_organizational_unit
    if required is not None:
        units = [str(a.value) for a in subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
        if required not in units:
            return Refusal("requiredOrganizationalUnit", "no OU of the subject is the required one")
    return None


def unreadable_subjects(entries: Sequence[str]) -> list[int]:
    """The (1-based) positions of allowed subjects that are not distinguished names: a share cannot be made
    with one (a filter nobody could ever match is a mistake to say at once)."""
    return [number for number, entry in enumerate(entries, start=1) if _name(entry) is None]


def _same_name(subject: x509.Name, entry: str) -> bool:
    parsed = _name(entry)
    return parsed is not None and parsed.rdns == subject.rdns


def _name(text: str) -> x509.Name | None:
    try:
        return x509.Name.from_rfc4514_string(_strict_rfc4514(text), _NAMES)
    except ValueError:
        return None


def _strict_rfc4514(text: str) -> str:
    """The console's style made strict RFC 4514 for `cryptography`'s parser: spaces next to an unescaped
    separator dropped, `;` between RDNs written `,`, attribute names upper-cased. An escape (`\\x` or `\\xx`)
    is copied as it is, so what it escapes stays part of the value."""
    out: list[str] = []
    in_type = True
    index = 0
    while index < len(text) and text[index] == " ":
        index += 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            out.append(text[index : index + 2])
            index += 2
            continue
        if char in _SEPARATORS:
            while out and out[-1] == " ":
                out.pop()
            out.append("," if char == ";" else char)
            in_type = char != "="
            index += 1
            while index < len(text) and text[index] == " ":
                index += 1
            continue
        out.append(char.upper() if in_type else char)
        index += 1
    while out and out[-1] == " ":  # an unescaped trailing space; an escaped one is the element "\\ "
        out.pop()
    return "".join(out)
