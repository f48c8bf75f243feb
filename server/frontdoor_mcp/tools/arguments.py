"""Argument types shared by the tools: each with a description for the model and limits checked before
any request is sent."""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import Field

from frontdoor_mcp.api.ids import CERTIFICATE_ID_PATTERN, FRONTDOOR_ID_PATTERN
from frontdoor_mcp.pki.pem import MAX_PEM_BYTES

MAX_PEM_CHARS: Final = MAX_PEM_BYTES
"""The pki policy's cap, so an argument the schema admits is never refused later for its size alone."""
MAX_PATH_CHARS: Final = 4096
MAX_NAME_CHARS: Final = 255
PRINTABLE_PATTERN: Final = r"^[^\x00-\x1f\x7f]+$"
"""Printable names only: a control character in a name is a mistake or an injection attempt."""

FrontdoorIdArg = Annotated[
    str | None,
    Field(
        description=(
            "The frontdoor's UUID, e.g. 3d6d2b6e-6c7a-4a7f-8c3d-9a9d2e1f0b1c. "
            "Omit it to use the server's configured FRONTDOOR_ID."
        ),
        pattern=FRONTDOOR_ID_PATTERN,
    ),
]
CertificateIdArg = Annotated[
    str,
    Field(
        description="The client certificate's id, e.g. cert-123e4567-e89b-12d3-a456-426614174000 "
        "(list_client_certificates shows the ids).",
        pattern=CERTIFICATE_ID_PATTERN,
        max_length=85,
    ),
]
NameArg = Annotated[
    str,
    Field(
        description="A unique, descriptive certificate name, e.g. api-client-prod (1-255 printable characters).",
        min_length=1,
        max_length=MAX_NAME_CHARS,
        pattern=PRINTABLE_PATTERN,
    ),
]
OptionalNameArg = Annotated[
    str | None,
    Field(
        description="The new name (1-255 printable characters). Omit it to keep the current name.",
        min_length=1,
        max_length=MAX_NAME_CHARS,
        pattern=PRINTABLE_PATTERN,
    ),
]
CertificatePemArg = Annotated[
    str | None,
    Field(
        description="The certificate as PEM text (one -----BEGIN CERTIFICATE----- block, no private key). "
        "Give this or certificate_path, not both.",
        max_length=MAX_PEM_CHARS,
    ),
]
CertificatePathArg = Annotated[
    str | None,
    Field(
        description="Path of a local PEM file holding the certificate. Give this or certificate_pem, not both.",
        min_length=1,
        max_length=MAX_PATH_CHARS,
    ),
]
CsrPemArg = Annotated[
    str | None,
    Field(
        description="The CSR as PEM text (one -----BEGIN CERTIFICATE REQUEST----- block, e.g. from generate_csr). "
        "Give this or csr_path, not both.",
        max_length=MAX_PEM_CHARS,
    ),
]
CsrPathArg = Annotated[
    str | None,
    Field(
        description="Path of a local PEM file holding the CSR. Give this or csr_pem, not both.",
        min_length=1,
        max_length=MAX_PATH_CHARS,
    ),
]
