"""Who a share admits once the TLS handshake has verified the client's certificate: its filters, as the sandbox
applies them. Written here on their own, sharing no code with the server's admission check, so that comparing
the check with what the data plane does means something.

The documentation says the filters that are set must all pass. The rest are sandbox choices (README, "Sandbox
choices"): an entry of a list admits on its own; an empty list is a filter not set; a subject matches an
allowed subject when both are the same distinguished name (RFC 4514 text; spaces around the separators `,` `;`
`+` and around the `=` after an attribute type are not part of a value, spaces inside a value are; attribute
names in any case; values exact and whole, whatever their length; a `#hex` value is the hex of the value's UTF-8
bytes); every CN of the subject must start with an allowed prefix; the required OU is one value, which one of
the subject's OUs must equal.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from cryptography import x509
from cryptography.x509.oid import NameOID

from frontdoor_mcp.sandbox.storage.rows import ShareRow

_ATTRIBUTE_TYPES: Final[dict[str, x509.ObjectIdentifier]] = {
    "CN": NameOID.COMMON_NAME,
    "SN": NameOID.SURNAME,
    "SERIALNUMBER": NameOID.SERIAL_NUMBER,
    "C": NameOID.COUNTRY_NAME,
    "L": NameOID.LOCALITY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "STREET": NameOID.STREET_ADDRESS,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "TITLE": NameOID.TITLE,
    "GIVENNAME": NameOID.GIVEN_NAME,
    "DC": NameOID.DOMAIN_COMPONENT,
    "UID": NameOID.USER_ID,
    "EMAILADDRESS": NameOID.EMAIL_ADDRESS,
    "E": NameOID.EMAIL_ADDRESS,
}
"""RFC 4514's names, and OpenSSL's one-line ones (emailAddress, SN, ...); any other type is its dotted OID."""
_DOTTED_OID: Final = re.compile(r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))+")
_HEX_VALUE: Final = re.compile(r"#((?:[0-9A-Fa-f]{2})+)")
_ESCAPABLE: Final = frozenset('\\ #="+,;<>')
_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")
_SEPARATORS: Final = ",;+"

_Rdn = frozenset[tuple[str, str | bytes]]
_Name = tuple[_Rdn, ...]
"""A name as (attribute OID, value) sets, one per RDN, in the certificate's order. Plain tuples rather than
`x509.Name`: building a `NameAttribute` checks X.520's upper bounds (CN 64 characters, C 2), which are not the
data plane's to apply; a certificate may carry a longer CN, and OpenSSL admits it."""


class _NotAName(ValueError):
    pass


@dataclass(frozen=True)
class Refusal:
    rule: str
    """The filter that refused: `allowedSubjects`, `allowedCommonNamePrefixes` or `requiredOrganizationalUnit`."""
    reason: str


def refusal(certificate: x509.Certificate, share: ShareRow) -> Refusal | None:
    """Why `share` refuses the client that presented `certificate` (already verified by the handshake); None
    when every filter it sets passes."""
    subject = certificate.subject
    if share.allowed_subjects:
        presented = _rdns(subject)
        if not any(_name(entry) == presented for entry in share.allowed_subjects):
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


def _rdns(name: x509.Name) -> _Name:
    return tuple(frozenset((attribute.oid.dotted_string, attribute.value) for attribute in rdn) for rdn in name.rdns)


@functools.lru_cache(maxsize=4096)  # every connection to a share reads the same entries, up to 500 of them
def _name(text: str) -> _Name | None:
    """`text` read as a distinguished name, or None when it is not one."""
    try:
        return _parse(text)
    except _NotAName:
        return None


def _parse(text: str) -> _Name:
    if not text.strip():
        return ()
    rdns: list[_Rdn] = []
    current: set[tuple[str, str | bytes]] = set()
    position = 0
    while True:
        equals = text.find("=", position)
        if equals < 0:
            raise _NotAName
        oid = _attribute_type(text[position:equals].strip())
        value, position, separator = _attribute_value(text, equals + 1)
        if (oid, value) in current:
            raise _NotAName  # a set: the same attribute twice in one RDN is no RDN
        current.add((oid, value))
        if separator != "+":
            rdns.append(frozenset(current))
            current = set()
        if separator is None:
            return tuple(reversed(rdns))


def _attribute_type(name: str) -> str:
    if not name.isascii():  # str.upper() maps some other letters onto ASCII ones ("ſt" to "ST")
        raise _NotAName
    known = _ATTRIBUTE_TYPES.get(name.upper())
    if known is not None:
        return known.dotted_string
    if not _DOTTED_OID.fullmatch(name):
        raise _NotAName
    try:
        return x509.ObjectIdentifier(name).dotted_string
    except ValueError:
        raise _NotAName from None


def _attribute_value(text: str, position: int) -> tuple[str, int, str | None]:
    """The value that starts at `position` (just after the type's `=`), the position after its separator, and
    the separator (None at the end). Only the type's `=` separates: a later one, and the spaces beside it, are
    the value's. Spaces before the value, and unescaped ones after it, are not."""
    while position < len(text) and text[position] == " ":
        position += 1
    hex_value = _HEX_VALUE.match(text, position)
    if hex_value is not None:
        # RFC 4514 calls this a BER encoding; the sandbox reads it as `cryptography` does, as the value's own
        # UTF-8 bytes: `CN=#737663` is CN=svc.
        value = _decoded(bytes.fromhex(hex_value.group(1)))
        position = hex_value.end()
        while position < len(text) and text[position] == " ":
            position += 1
        if position == len(text):
            return value, position, None
        if text[position] in _SEPARATORS:
            return value, position + 1, text[position]
        raise _NotAName
    if text.startswith("#", position):
        raise _NotAName  # an unescaped '#' starts only a hex value
    raw = bytearray()
    kept = 0  # the length of `raw` up to its last character that is escaped or not a space
    while position < len(text):
        char = text[position]
        if char == "\\":
            position = _escape(text, position, raw)
            kept = len(raw)
            continue
        if char in _SEPARATORS:
            return _decoded(raw[:kept]), position + 1, char
        if char in '"<>':
            raise _NotAName
        raw.extend(char.encode("utf-8"))
        if char != " ":
            kept = len(raw)
        position += 1
    return _decoded(raw[:kept]), position, None


def _escape(text: str, position: int, raw: bytearray) -> int:
    """Add what the escape at `position` stands for to `raw`; the position after it."""
    following = text[position + 1 : position + 2]
    if following and following in _ESCAPABLE:
        raw.extend(following.encode("utf-8"))
        return position + 2
    pair = text[position + 1 : position + 3]
    if len(pair) == 2 and set(pair) <= _HEX_DIGITS:
        raw.extend(bytes.fromhex(pair))
        return position + 3
    raise _NotAName


def _decoded(raw: bytes | bytearray) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _NotAName from None
