"""Making text that came from outside safe to show: control characters escaped, length capped."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
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


_AUTH_SCHEME_VALUE: Final = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9\-._~+/]+=*")
"""An Authorization header's value as it would be echoed back: `Bearer <token68>` or `Basic <base64>`."""
REDACTED: Final = "[redacted]"


def redact_credentials(value: str, secrets: Iterable[str] = ()) -> str:
    """Text from the API with any credential it echoes removed: each of `secrets` (the configured values,
    in every form they are sent), and whatever follows `Bearer`/`Basic` (a header it echoed, ours or not)."""
    for secret in secrets:
        if secret:
            value = value.replace(secret, REDACTED)
    return _AUTH_SCHEME_VALUE.sub(lambda match: f"{match[1]}{match[2]}{REDACTED}", value)
