"""Argument types shared by the tools: each with a description for the model and limits checked before
any request is sent."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Final

from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema

from frontdoor_mcp.api.ids import CERTIFICATE_ID_PATTERN, FRONTDOOR_ID_PATTERN
from frontdoor_mcp.rules import NAME_MAX_CHARS, PATH_MAX_CHARS, PEM_MAX_BYTES, SortOrder

MAX_PEM_CHARS: Final = PEM_MAX_BYTES
"""The pki policy's cap, so an argument the schema admits is never refused later for its size alone."""
MAX_PATH_CHARS: Final = PATH_MAX_CHARS
MAX_NAME_CHARS: Final = NAME_MAX_CHARS
INVISIBLE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zl", "Zp"})
"""Controls (C0 and C1, e.g. a terminal's CSI U+009B), format characters (bidi overrides, zero-width
characters) and line/paragraph separators: what makes a name read differently from what it is."""


def visible_text(value: str) -> str:
    """A name or subject field with no invisible or control character; which one, and where, if there is."""
    for position, char in enumerate(value, start=1):
        if unicodedata.category(char) in INVISIBLE_CATEGORIES:
            raise ValueError(
                f"character {position} is U+{ord(char):04X}, a control, format or separator character; use plain "
                "visible text"
            )
    return value


VisibleText = AfterValidator(visible_text)


def _shown_as(schema: dict[str, str]) -> WithJsonSchema:
    """What the model is told of a value (its type, a format), while validation keeps the exact pattern."""
    return WithJsonSchema(schema)


FrontdoorIdArg = Annotated[
    Annotated[str, StringConstraints(pattern=FRONTDOOR_ID_PATTERN), _shown_as({"type": "string", "format": "uuid"})]
    | None,
    Field(description="Frontdoor UUID; defaults to the configured FRONTDOOR_ID."),
]
CertificateIdArg = Annotated[
    str,
    StringConstraints(pattern=CERTIFICATE_ID_PATTERN, max_length=85),
    _shown_as({"type": "string"}),
    Field(description="Certificate id (cert-...), from list_client_certificates."),
]
NameArg = Annotated[
    str,
    Field(description="A unique certificate name, e.g. api-client-prod.", min_length=1, max_length=MAX_NAME_CHARS),
    VisibleText,
]
OptionalNameArg = Annotated[
    str | None,
    Field(description="New name; omit to keep it.", min_length=1, max_length=MAX_NAME_CHARS),
    VisibleText,
]
CertificatePemArg = Annotated[
    str | None,
    Field(description="Certificate PEM (no private key). This or certificate_path.", max_length=MAX_PEM_CHARS),
]
CertificatePathArg = Annotated[
    str | None,
    Field(
        description="Local PEM file of the certificate. This or certificate_pem.",
        min_length=1,
        max_length=MAX_PATH_CHARS,
    ),
]
CsrPemArg = Annotated[
    str | None,
    Field(description="CSR PEM, e.g. from generate_csr. This or csr_path.", max_length=MAX_PEM_CHARS),
]
CsrPathArg = Annotated[
    str | None,
    Field(
        description="Local PEM file of the CSR (generate_csr writes one). This or csr_pem.",
        min_length=1,
        max_length=MAX_PATH_CHARS,
    ),
]
PageArg = Annotated[int, Field(description="Page number, from 0.", ge=0, le=100_000)]
SizeArg = Annotated[int, Field(description="Items per page.", ge=1, le=2000)]
SortArg = Annotated[SortOrder | None, Field(description="Sort order; all_pages defaults to newest first.")]
