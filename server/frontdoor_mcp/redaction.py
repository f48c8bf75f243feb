"""Removing secrets from text: the one set of patterns, and the secrets this process has seen.

Used on everything that leaves the server as free text: log lines (tracebacks included), and the API's own
error fields before they are quoted to the model. The bottom of the layers: standard library only.

Two nets. Patterns catch what looks like a credential whatever its origin (an Authorization value, a JWT,
`password=...`, a certificate request token `crt_...`). The registry holds the exact values this process was
configured with or was handed (a bearer token, an OAuth client secret, a request token the API returned), so
they are removed even in a shape no pattern knows, such as a proxy reflecting a token without its scheme.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Final

REDACTED: Final = "[redacted]"

_PATTERNS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    # A credential after "Bearer"/"Basic": 8+ token characters with a digit, or 20+. Not the guide's own
    # sentence "Bearer token is missing or invalid", which must stay readable.
    (
        re.compile(r"(?i)\b(bearer|basic)(\s+)(?:(?=\S*\d)[\w\-.~+/]{8,}|[\w\-.~+/]{20,})=*"),
        rf"\1\2{REDACTED}",
    ),
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[redacted JWT]"),
    (
        re.compile(r"(?i)([\"']?(?:access_token|client_secret|password)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"),
        rf"\1{REDACTED}",
    ),
    # A certificate request token: single use, but whoever reads it first gets the certificate.
    (re.compile(r"\bcrt_[A-Za-z0-9_-]{4,}"), f"crt_{REDACTED}"),
)

_MIN_SECRET_CHARS: Final = 6
"""Shorter values are not registered: replacing every "abc" in a log would hide more than it protects."""


class SecretRegistry:
    """The exact secret values this process knows of. Thread-safe; values are only ever removed from text."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: frozenset[str] = frozenset()

    def add(self, *values: str) -> None:
        fresh = {value for value in values if len(value.strip()) >= _MIN_SECRET_CHARS}
        if not fresh <= self._values:
            with self._lock:
                self._values = self._values | fresh

    def values(self) -> frozenset[str]:
        return self._values

    def __repr__(self) -> str:
        return f"SecretRegistry({len(self._values)} values)"


KNOWN_SECRETS: Final = SecretRegistry()
"""Process-wide: a secret seen by any part of the server is removed from every log line from then on."""


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """`text` without any known secret (`extra`, then the registry's) or anything shaped like one."""
    # Longest first, so a secret that contains another is removed whole.
    for secret in sorted({*extra, *KNOWN_SECRETS.values()}, key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message without secrets, where the record is made: every handler then sees the
    clean text (the stderr one, a test's capture, any other a host adds)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def redact_records_of(*logger_names: str) -> None:
    """Install the filter on loggers that may carry a secret in their records (a library logging URLs)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactingFilter) for existing in logger.filters):
            logger.addFilter(RedactingFilter())


def mask_token(token: str) -> str:
    """A request token as it may be shown: its prefix and last four characters (`crt_…a1b2`)."""
    tail = token[-4:] if len(token) >= 12 else ""
    prefix = token.split("_", 1)[0] + "_" if "_" in token[:8] else ""
    return f"{prefix}…{tail}"
