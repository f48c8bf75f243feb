"""Certificate and CSR extensions and names, rendered as short strings for a model to read.

Everything rendered here came from a certificate someone else made: it is data, so control and format
characters are escaped and lengths are capped before it reaches a tool result.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from frontdoor_mcp.text import cap_text

MAX_TEXT = 1024
MAX_ITEMS = 100
MAX_ITEM_TEXT = 255
"""SANs and usages: enough for any real certificate, and a hostile one cannot blow a result's budget."""
_KEY_USAGE_BITS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)


def clean(text: str) -> str:
    """Escape control/format characters (newlines, bidi overrides, ...) and cap the length."""
    return cap_text(text, MAX_TEXT)


# RFC 4514 has no short name for emailAddress; openssl's is what users recognise.
_NAME_OVERRIDES = {NameOID.EMAIL_ADDRESS: "emailAddress"}


def name_string(name: x509.Name) -> str:
    """An X.509 name as an RFC 4514 string (most specific first), escaped and capped."""
    return clean(name.rfc4514_string(_NAME_OVERRIDES))


def oid_name(oid: ObjectIdentifier) -> str:
    """The OID's conventional short name (as openssl prints it), or its dotted form when unnamed."""
    name: str = oid._name  # pyright: ignore[reportPrivateUsage]  # cryptography exposes the names no other way
    return oid.dotted_string if name == "Unknown OID" else name


def _capped(items: list[str]) -> list[str]:
    if len(items) <= MAX_ITEMS:
        return items
    return [*items[: MAX_ITEMS - 1], f"... and {len(items) - MAX_ITEMS + 1} more"]


def subject_alternative_names(extensions: x509.Extensions) -> list[str]:
    """SANs as `DNS:...`, `IP:...`, `email:...`, `URI:...`, `DirName:...`, `RID:...`, `othername:<oid>`."""
    try:
        san = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return _capped([cap_text(_general_name(name), MAX_ITEM_TEXT) for name in san])


def _general_name(name: x509.GeneralName) -> str:
    if isinstance(name, x509.DNSName):
        return f"DNS:{name.value}"
    if isinstance(name, x509.IPAddress):
        return f"IP:{name.value}"
    if isinstance(name, x509.RFC822Name):
        return f"email:{name.value}"
    if isinstance(name, x509.UniformResourceIdentifier):
        return f"URI:{name.value}"
    if isinstance(name, x509.DirectoryName):
        return f"DirName:{name.value.rfc4514_string(_NAME_OVERRIDES)}"
    if isinstance(name, x509.RegisteredID):
        return f"RID:{name.value.dotted_string}"
    if isinstance(name, x509.OtherName):
        return f"othername:{name.type_id.dotted_string}"
    return "unknown"


def key_usage(extensions: x509.Extensions) -> list[str]:
    """The key usage bits that are set, by cryptography's attribute names."""
    try:
        usage = extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return []
    names = [bit for bit in _KEY_USAGE_BITS if getattr(usage, bit)]
    # encipher_only/decipher_only raise unless key_agreement is set: they only qualify it.
    if usage.key_agreement:
        names += [bit for bit in ("encipher_only", "decipher_only") if getattr(usage, bit)]
    return names


def extended_key_usage(extensions: x509.Extensions) -> list[str]:
    """Extended key usages by short name (`serverAuth`, `clientAuth`, ...), else dotted OID."""
    try:
        usages = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return []
    return _capped([oid_name(oid) for oid in usages])


def is_ca(extensions: x509.Extensions) -> bool:
    """Whether basic constraints mark a CA (absent extension: not a CA)."""
    try:
        return extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False
