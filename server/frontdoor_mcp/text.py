"""Making text that came from outside safe to show: control characters escaped, length capped.

The bottom of the layers: api and pki both use it, and it imports nothing of ours.
"""

from __future__ import annotations

import unicodedata
from typing import Final

_BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _escape_char(char: str) -> str:
    if char in _BIDI_CONTROLS or (unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") and char not in "\t"):
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char


def escape_controls(value: str) -> str:
    """Control, format and bidirectional-override characters become visible escapes."""
    if value.isprintable():
        return value
    return "".join(_escape_char(char) for char in value)


def cap_text(value: str, limit: int) -> str:
    """Escape, then cut to `limit` characters with a visible marker."""
    escaped = escape_controls(value)
    if len(escaped) <= limit:
        return escaped
    return escaped[: max(0, limit - 1)] + "…"
