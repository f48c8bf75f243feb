"""Keeping certificate request tokens out of logs and error bodies.

A redemption is `POST /frontdoor/{id}/client-certificates/token/{token}`: the secret is in the path, and
paths are what access logs print, what the request log records and what a 404 echoes. Everything that
shows a path passes it through `redact_path`; standalone, uvicorn's log handlers carry `RedactTokens`.
"""

from __future__ import annotations

import logging
import re

# The path segment after /client-certificates/token/, whatever it holds (a mistyped token is still secret).
_REDEMPTION_SEGMENT = re.compile(r"(/client-certificates/token/)([^/?#\s\"]+)")
# A token string anywhere else (a query string, a pasted URL), by its shape.
_TOKEN_STRING = re.compile(r"crt_[0-9A-Fa-f]{6,}")
REDACTED = "…[redacted]"


def _segment(match: re.Match[str]) -> str:
    prefix = "crt_" if match.group(2).startswith("crt_") else ""
    return f"{match.group(1)}{prefix}{REDACTED}"


def redact_path(text: str) -> str:
    """`text` with any certificate request token replaced by `crt_…[redacted]`."""
    if "crt_" not in text and "/token/" not in text:
        return text  # the common case, without running the patterns
    text = _REDEMPTION_SEGMENT.sub(_segment, text)
    return _TOKEN_STRING.sub("crt_" + REDACTED, text)


class RedactTokens(logging.Filter):
    """Masks token strings in a record's message and arguments (uvicorn's access line passes the path as an
    argument); the argument tuple keeps its shape, because uvicorn's AccessFormatter unpacks it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_path(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_path(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True
