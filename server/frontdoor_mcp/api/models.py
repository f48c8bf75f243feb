"""Wire models of the documented shapes. Field names are snake_case; the wire's camelCase are aliases.

Values from the API are data: string fields are length-capped on the way in so that a hostile or broken
answer cannot flood the model's context, and unknown fields are ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from frontdoor_mcp.rules import NAME_MAX_CHARS, PEM_MAX_BYTES
from frontdoor_mcp.text import cap_text

MAX_FIELD_CHARS: Final = 256


def _shown_as_data(limit: int) -> BeforeValidator:
    """A string from the API as it may be shown: control, format and separator characters escaped (not
    dropped, so nothing is hidden) and capped with a visible marker. Done here, at the boundary, so the
    structured results and the text carry the same safe value."""

    def clean(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if len(value) <= limit and value.isprintable():
            return value  # the usual case, decided without a call: nothing to escape, nothing to cut
        return cap_text(value, limit)

    return BeforeValidator(clean)


def _capped(limit: int) -> BeforeValidator:
    def cap(value: Any) -> Any:
        return value[:limit] if isinstance(value, str) and len(value) > limit else value

    return BeforeValidator(cap)


Name = Annotated[str, _shown_as_data(NAME_MAX_CHARS)]
ShortText = Annotated[str, _shown_as_data(MAX_FIELD_CHARS)]
PemText = Annotated[str, _capped(PEM_MAX_BYTES)]
"""A PEM is never shown as it came: it is parsed and re-encoded before it reaches a result."""


class WireModel(BaseModel):
    # defer_build: the validators are built on first use, not at start-up (about 12 ms saved before `initialize`).
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True, defer_build=True)


class CertificateSummary(WireModel):
    """A list item: the certificate's metadata, without its PEM."""

    id: ShortText
    name: Name
    frontdoor_id: ShortText = Field(alias="frontdoorId")
    created_at: datetime | None = Field(default=None, alias="createdAt")
    created_by: ShortText | None = Field(default=None, alias="createdBy")


class Certificate(CertificateSummary):
    """GET by id: the metadata and the PEM `value`."""

    value: PemText | None = None


class CreatedCertificate(CertificateSummary):
    """The answer to a create. The guide shows no `value`; one is kept if the API sends it."""

    value: PemText | None = None


class Deleted(WireModel):
    """The answer to a delete (certificate, token or share); a bodiless 204 gives only the id and frontdoor
    asked for (no name)."""

    id: ShortText
    name: Name | None = None
    frontdoor_id: ShortText = Field(alias="frontdoorId")
    deleted_at: datetime | None = Field(default=None, alias="deletedAt")
    deleted_by: ShortText | None = Field(default=None, alias="deletedBy")
