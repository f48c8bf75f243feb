"""Distinguished names as text (RFC 4514), read exactly: what a share's `allowedSubjects` entries mean.

`CN=service-account-1, O=MyCompany` (the console's own example) is read as RFC 4514 says, with one tolerance
every LDAP-style reader has: spaces around the separators (`,` `;` `+` `=`) that are not escaped are not part of
a value. Everything else is kept: an escaped character (`\\,`, `\\ `, `\\\\`, `\\2C`, a UTF-8 hex pair) is part of
the value whatever follows it, and a value is compared whole, however long. A value given as `#` and hex (a BER
encoding) is not compared: reading it needs the attribute's ASN.1 type, which a filter cannot say.
"""

from __future__ import annotations

from typing import Final

from cryptography import x509

Rdn = frozenset[tuple[str, str]]
"""One relative distinguished name: its (attribute OID, value) pairs (several when joined with `+`)."""
ParsedName = tuple[Rdn, ...]
"""A name as its RDNs in the certificate's (ASN.1) order: the reverse of the text's order."""

ATTRIBUTE_TYPES: Final[dict[str, str]] = {
    "CN": "2.5.4.3",
    "SN": "2.5.4.4",
    "SERIALNUMBER": "2.5.4.5",
    "C": "2.5.4.6",
    "L": "2.5.4.7",
    "ST": "2.5.4.8",
    "STREET": "2.5.4.9",
    "O": "2.5.4.10",
    "OU": "2.5.4.11",
    "TITLE": "2.5.4.12",
    "GIVENNAME": "2.5.4.42",
    "DC": "0.9.2342.19200300.100.1.25",
    "UID": "0.9.2342.19200300.100.1.1",
    "EMAILADDRESS": "1.2.840.113549.1.9.1",
    "E": "1.2.840.113549.1.9.1",
}
"""The attribute names RFC 4514 (and OpenSSL's one-line form, for emailAddress) give; any other type is written as
its dotted OID."""

_SPECIAL: Final = frozenset('"+,;<>\\ #=')
_HEX: Final = frozenset("0123456789abcdefABCDEF")


class DnError(ValueError):
    """A text that is not a distinguished name this reader can compare; the message says where, never echoes it."""


def parse_dn(text: str) -> ParsedName:
    """The RDNs of `text`, in the certificate's order. Raises DnError."""
    rdns: list[Rdn] = []
    position = 0
    if not text.strip():
        return ()
    # Leading spaces are dropped by the attribute type's reading; trailing ones by the value's, which keeps an
    # escaped one ("OU=x\\ "): stripping the text first would lose it.
    current: set[tuple[str, str]] = set()
    while True:
        oid, position = _attribute_type(text, position)
        value, position, separator = _attribute_value(text, position)
        if (oid, value) in current:
            raise DnError(f"the same attribute and value twice in one RDN (near character {position})")
        current.add((oid, value))
        if separator in (",", ";", None):
            rdns.append(frozenset(current))
            current = set()
        if separator is None:
            break
    return tuple(reversed(rdns))


def name_rdns(name: x509.Name) -> ParsedName:
    """A certificate's name in the same form, for comparison."""
    return tuple(
        frozenset((attribute.oid.dotted_string, _text(attribute.value)) for attribute in rdn) for rdn in name.rdns
    )


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.hex()


def _attribute_type(text: str, position: int) -> tuple[str, int]:
    end = text.find("=", position)
    if end < 0:
        raise DnError(f"no '=' after the attribute type at character {position + 1}")
    name = text[position:end].strip()
    if not name:
        raise DnError(f"an empty attribute type at character {position + 1}")
    oid = ATTRIBUTE_TYPES.get(name.upper())
    if oid is None:
        dotted = name[4:] if name.upper().startswith("OID.") else name
        parts = dotted.split(".")
        if len(parts) < 2 or not all(part.isdigit() and part.isascii() for part in parts):
            raise DnError(f"an attribute type that is neither a known name nor an OID at character {position + 1}")
        oid = ".".join(str(int(part)) for part in parts)
    return oid, end + 1


def _attribute_value(text: str, position: int) -> tuple[str, int, str | None]:
    """The value starting at `position`, the position after its separator, and the separator (None at the end)."""
    while position < len(text) and text[position] == " ":
        position += 1
    if position < len(text) and text[position] == "#":
        raise DnError(f"a value in '#' hex form (BER) at character {position + 1}, which is not compared")
    out = bytearray()
    kept = 0  # length of `out` up to the last character that counts (escaped, or not a space)
    while position < len(text):
        char = text[position]
        if char == "\\":
            position, escaped = _escape(text, position)
            out.extend(escaped)
            kept = len(out)
            continue
        if char in ",;+":
            return _decoded(out[:kept], position), position + 1, char
        if char in '"<>':
            raise DnError(f"an unescaped {char!r} at character {position + 1}")
        out.extend(char.encode("utf-8"))
        if char != " ":
            kept = len(out)
        position += 1
    return _decoded(out[:kept], position), position, None


def _escape(text: str, position: int) -> tuple[int, bytes]:
    """The bytes an escape at `position` stands for, and the position after it."""
    if position + 1 >= len(text):
        raise DnError(f"a '\\' with nothing after it at character {position + 1}")
    following = text[position + 1]
    if following in _SPECIAL:
        return position + 2, following.encode("utf-8")
    pair = text[position + 1 : position + 3]
    if len(pair) == 2 and set(pair) <= _HEX:
        return position + 3, bytes.fromhex(pair)
    raise DnError(f"'\\' before a character that needs no escape at character {position + 1}")


def _decoded(raw: bytearray, position: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DnError(f"hex escapes that are not UTF-8 before character {position + 1}") from None
