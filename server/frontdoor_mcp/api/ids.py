"""Identifier rules, applied before any id reaches a URL path. Messages name the argument, never the value."""

from __future__ import annotations

import re
from typing import Final

FRONTDOOR_ID_PATTERN: Final = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
"""A frontdoor id is a UUID (the guide's examples, and the API's path variable type)."""

CERTIFICATE_ID_PATTERN: Final = r"^cert-[A-Za-z0-9](?:[A-Za-z0-9-]{0,78}[A-Za-z0-9])?$"
"""`cert-<uuid>` as seen in the guide, kept strict: letters, digits and inner hyphens only, so no id can
carry a slash, a dot segment, a query or a percent escape into the path. The guide's own create example
(`cert-new123e4567-...`) is not a pure UUID, so the tail is not forced to be one."""

TOKEN_ID_PATTERN: Final = r"^token-[A-Za-z0-9](?:[A-Za-z0-9-]{0,78}[A-Za-z0-9])?$"  # noqa: S105 - a pattern, not a secret
"""A certificate request token's id, `token-<uuid>` in the documentation; the same strictness as certificates."""

REQUEST_TOKEN_PATTERN: Final = r"^crt_[A-Za-z0-9_-]{4,200}$"  # noqa: S105 - a pattern, not a secret
"""The redeemable token string, `crt_` and random characters (16 hex in the documentation's examples)."""

SHARE_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$"
"""A share's id: `shr-...` in the documentation's path example, or a zrok `zId` (letters, digits, `-`, `_`).
Which of the two the API takes is not documented, so both shapes pass; neither can carry a `/` or a `.`."""

_FRONTDOOR_ID = re.compile(FRONTDOOR_ID_PATTERN)
_CERTIFICATE_ID = re.compile(CERTIFICATE_ID_PATTERN)
_TOKEN_ID = re.compile(TOKEN_ID_PATTERN)
_REQUEST_TOKEN = re.compile(REQUEST_TOKEN_PATTERN)
_SHARE_ID = re.compile(SHARE_ID_PATTERN)


class InvalidIdError(ValueError):
    """An id that does not match its pattern; the message names the argument, never echoes the value."""


def validate_frontdoor_id(value: str, *, argument: str = "frontdoor_id") -> str:
    if not _FRONTDOOR_ID.fullmatch(value):
        raise InvalidIdError(f"{argument} must be a UUID such as 3d6d2b6e-6c7a-4a7f-8c3d-9a9d2e1f0b1c.")
    return value.lower()


def validate_certificate_id(value: str, *, argument: str = "certificate_id") -> str:
    if not _CERTIFICATE_ID.fullmatch(value):
        raise InvalidIdError(
            f"{argument} must look like cert-123e4567-e89b-12d3-a456-426614174000 "
            "(use list_client_certificates to find the ids)."
        )
    return value


def validate_token_id(value: str, *, argument: str = "token_id") -> str:
    if not _TOKEN_ID.fullmatch(value):
        raise InvalidIdError(
            f"{argument} must look like token-123e4567-e89b-12d3-a456-426614174000 "
            "(use list_certificate_request_tokens to find the ids; the crt_... string is the token, not its id)."
        )
    return value


def validate_request_token(value: str, *, argument: str = "token") -> str:
    if not _REQUEST_TOKEN.fullmatch(value):
        raise InvalidIdError(f"{argument} must be the token string exactly as given, starting with crt_.")
    return value


def validate_share_id(value: str, *, argument: str = "share_id") -> str:
    if not _SHARE_ID.fullmatch(value):
        raise InvalidIdError(f"{argument} must be a share's id such as shr-1 (use list_shares to find the ids).")
    return value
