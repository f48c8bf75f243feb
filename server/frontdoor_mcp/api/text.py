"""Removing credentials from text the API sent back (escaping and capping live in `frontdoor_mcp.text`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

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
