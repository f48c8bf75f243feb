"""PEM framing (RFC 7468), with the standard library only so callers can pre-check input cheaply.

Nothing here imports `cryptography`: splitting blocks and spotting private keys must not cost the MCP
server its start-up time.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from frontdoor_mcp.pki.errors import PemError
from frontdoor_mcp.rules import PEM_MAX_BYTES

MAX_PEM_BYTES = PEM_MAX_BYTES

_MARKER = re.compile(r"-----(BEGIN|END) ([A-Z0-9]+(?: [A-Z0-9]+)*)-----")
_BASE64_BODY = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_WHITESPACE = re.compile(r"\s+")

# Deliberately looser than _MARKER (any case, any spacing, any dash run, any key flavour) because a
# miss here could send a key to the API, while a false hit only refuses the input.
_PRIVATE_KEY_MARKER = re.compile(r"-{3,}\s*BEGIN\b[^\n]*?PRIVATE\s+KEY|PuTTY-User-Key-File-", re.IGNORECASE)
_ANY_BLOCK = re.compile(r"-----BEGIN [^\n]*?-----.*?(?:-----END [^\n]*?-----|\Z)", re.DOTALL)
_BASE64_LINE = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_MIN_BARE_BASE64 = 60
"""Shortest bare base64 worth decoding: an Ed25519 PKCS#8 key, the smallest key, is 64 characters."""


@dataclass(frozen=True)
class PemBlock:
    """One PEM block. `text` is the block re-encoded canonically (64-column lines, `\\n` endings)."""

    label: str
    # The block may be a private key: neither its text nor its bytes may ever reach a repr.
    text: str = field(repr=False)
    der: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"PemBlock(label={self.label!r}, der_bytes={len(self.der)})"


def pem_encode(label: str, der: bytes) -> str:
    """Encode DER as a canonical PEM block."""
    b64 = base64.b64encode(der).decode("ascii")
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]) + "\n"


def _unescape_newlines(text: str) -> str:
    # A model often passes a PEM copied out of JSON, with literal "\n" sequences instead of line breaks.
    # Base64 never contains a backslash, so turning them back into newlines cannot change a payload.
    if "\\n" in text or "\\r" in text:
        return text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\r", "\n")
    return text


def split_pem_blocks(text: str) -> list[PemBlock]:
    """Split text into its PEM blocks, in order.

    Text outside blocks (such as `openssl x509 -text` output) is ignored. Raises `PemError` (rule `parse`)
    for a block without its END line, mismatched BEGIN/END labels, or a body that is not base64.
    """
    text = _unescape_newlines(text)
    blocks: list[PemBlock] = []
    open_label: str | None = None
    body_start = 0
    for marker in _MARKER.finditer(text):
        kind, label = marker.group(1), marker.group(2)
        if kind == "BEGIN":
            if open_label is not None:
                raise PemError("parse", _unterminated())
            open_label, body_start = label, marker.end()
            continue
        if open_label is None:
            raise PemError(
                "parse", "Found a PEM END line without its BEGIN line; copy the whole PEM block, from BEGIN to END."
            )
        if label != open_label:
            raise PemError(
                "parse", "A PEM block's BEGIN and END lines name different types; copy the block again without changes."
            )
        der = _decode_body(text[body_start : marker.start()], len(blocks) + 1)
        blocks.append(PemBlock(label=label, text=pem_encode(label, der), der=der))
        open_label = None
    if open_label is not None:
        raise PemError("parse", _unterminated())
    return blocks


def _unterminated() -> str:
    # No label is repeated in a message: it was read from the input, and no message quotes the input.
    return (
        "A PEM block has a BEGIN line but no END line; the PEM looks truncated. Copy the whole block, with its END "
        "line."
    )


def _decode_body(body: str, number: int) -> bytes:
    compact = _WHITESPACE.sub("", body)
    if not compact or len(compact) % 4 or not _BASE64_BODY.fullmatch(compact):
        raise PemError(
            "parse",
            f"The body of PEM block {number} is not valid base64; "
            "copy the block again exactly as it is, with no lines added, removed or edited.",
        )
    try:
        return base64.b64decode(compact, validate=True)
    except binascii.Error:
        raise PemError("parse", f"The body of PEM block {number} is not valid base64.") from None


def has_private_key_marker(text: str) -> bool:
    """Whether the text holds anything framed as a private key (PEM of any flavour, OpenSSH, PuTTY)."""
    return _PRIVATE_KEY_MARKER.search(_unescape_newlines(text)) is not None


def bare_base64_payloads(text: str) -> list[bytes]:
    """Decode each run of base64-only lines that lies outside PEM blocks.

    Used to spot a private key pasted without its BEGIN/END lines. Short runs and runs that do not
    decode are skipped: they cannot be a key.
    """
    outside = _ANY_BLOCK.sub("\n", _unescape_newlines(text))
    payloads: list[bytes] = []
    run: list[str] = []
    for line in [*outside.splitlines(), ""]:
        stripped = line.strip()
        if stripped and _BASE64_LINE.fullmatch(stripped):
            run.append(stripped)
            continue
        candidate = "".join(run)
        run = []
        if len(candidate) < _MIN_BARE_BASE64:
            continue
        padded = candidate + "=" * (-len(candidate) % 4)
        try:
            payloads.append(base64.b64decode(padded, validate=True))
        except binascii.Error:
            continue
    return payloads
