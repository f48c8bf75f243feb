"""Wire models of the documented shapes. Field names are snake_case; the wire's camelCase are aliases.

Values from the API are data: string fields are length-capped on the way in so that a hostile or broken
answer cannot flood the model's context, and unknown fields are ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

MAX_NAME_CHARS: Final = 256
MAX_FIELD_CHARS: Final = 256
MAX_PEM_CHARS: Final = 64 * 1024


def _capper(limit: int) -> BeforeValidator:
    def cap(value: Any) -> Any:
        if isinstance(value, str) and len(value) > limit:
            return value[:limit]
        return value

    return BeforeValidator(cap)


Name = Annotated[str, _capper(MAX_NAME_CHARS)]
ShortText = Annotated[str, _capper(MAX_FIELD_CHARS)]
PemText = Annotated[str, _capper(MAX_PEM_CHARS)]


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


class DeletedCertificate(WireModel):
    """The answer to a delete; a bodiless 204 gives only the id and frontdoor asked for (no name)."""

    id: ShortText
    name: Name | None = None
    frontdoor_id: ShortText = Field(alias="frontdoorId")
    deleted_at: datetime | None = Field(default=None, alias="deletedAt")
    deleted_by: ShortText | None = Field(default=None, alias="deletedBy")


class CertificatePage(WireModel):
    """One page of a list, read from either the guide's shape or the HAL shape."""

    items: list[CertificateSummary]
    page: int = Field(ge=0)
    size: int = Field(ge=0)
    total_elements: int = Field(ge=0)
    total_pages: int = Field(ge=0)

    @classmethod
    def from_wire(cls, data: Any) -> CertificatePage:
        """Guide shape: `content`, `pageable{pageNumber,pageSize}`, `totalElements`, `totalPages`.
        HAL shape: `_embedded{<resource name>: [...]}`, `page{size,totalElements,totalPages,number}`."""
        if not isinstance(data, dict):
            raise ValueError("a list answer must be a JSON object")
        body: dict[str, Any] = data  # pyright: ignore[reportUnknownVariableType]
        if "_embedded" in body or ("page" in body and "content" not in body):
            return cls._from_hal(body)
        return cls._from_plain(body)

    @classmethod
    def _from_plain(cls, body: dict[str, Any]) -> CertificatePage:
        pageable = _PlainPageable.model_validate(body.get("pageable") or {})
        envelope = _PlainEnvelope.model_validate(body)
        return cls(
            items=envelope.content,
            page=pageable.page_number,
            size=pageable.page_size,
            total_elements=envelope.total_elements,
            total_pages=envelope.total_pages,
        )

    @classmethod
    def _from_hal(cls, body: dict[str, Any]) -> CertificatePage:
        envelope = _HalEnvelope.model_validate(body)
        items: list[CertificateSummary] = []
        for resources in envelope.embedded.values():
            items.extend(resources)
        return cls(
            items=items,
            page=envelope.page.number,
            size=envelope.page.size,
            total_elements=envelope.page.total_elements,
            total_pages=envelope.page.total_pages,
        )


class _PlainPageable(WireModel):
    page_number: int = Field(default=0, ge=0, alias="pageNumber")
    page_size: int = Field(default=0, ge=0, alias="pageSize")


class _PlainEnvelope(WireModel):
    content: list[CertificateSummary]
    total_elements: int = Field(ge=0, alias="totalElements")
    total_pages: int = Field(ge=0, alias="totalPages")


class _HalPage(WireModel):
    size: int = Field(ge=0)
    total_elements: int = Field(ge=0, validation_alias=AliasChoices("totalElements", "total_elements"))
    total_pages: int = Field(ge=0, validation_alias=AliasChoices("totalPages", "total_pages"))
    number: int = Field(ge=0)


class _HalEnvelope(WireModel):
    embedded: dict[str, list[CertificateSummary]] = Field(default_factory=dict, alias="_embedded")
    page: _HalPage
