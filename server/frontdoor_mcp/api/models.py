"""Wire models of the documented shapes. Field names are snake_case; the wire's camelCase are aliases.

Values from the API are data: string fields are length-capped on the way in so that a hostile or broken
answer cannot flood the model's context, and unknown fields are ignored.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Final, Generic, TypeVar, cast

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

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


ItemT = TypeVar("ItemT", bound=WireModel)
ItemT_co = TypeVar("ItemT_co", covariant=True)


@dataclass(frozen=True)
class Page(Generic[ItemT_co]):
    """One page of a list, read from either the guide's shape or the HAL shape."""

    items: Sequence[ItemT_co]
    page: int
    size: int
    total_elements: int
    total_pages: int


@functools.cache
def _items_adapter(item_model: type[WireModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[item_model])  # pyright: ignore[reportInvalidTypeForm]  # a model chosen at run time


def parse_page(data: Any, item_model: type[ItemT]) -> Page[ItemT]:
    """Guide shape: `content`, `pageable{pageNumber,pageSize}`, `totalElements`, `totalPages`.
    HAL shape: `_embedded{<resource name>: [...]}`, `page{size,totalElements,totalPages,number}`.
    A list answer without any paging fields (the shares guide shows only `content`) is one whole page."""
    if not isinstance(data, dict):
        raise ValueError("a list answer must be a JSON object")
    body: dict[str, Any] = data  # pyright: ignore[reportUnknownVariableType]
    items = _items_adapter(item_model)
    if "_embedded" in body or ("page" in body and "content" not in body):
        hal = _HalEnvelope.model_validate(body)
        found: list[ItemT] = []
        for resources in hal.embedded.values():
            found.extend(cast(list[ItemT], items.validate_python(resources)))
        return Page(found, hal.page.number, hal.page.size, hal.page.total_elements, hal.page.total_pages)
    plain = _PlainEnvelope.model_validate(body)
    content = cast(list[ItemT], items.validate_python(plain.content))
    if plain.total_elements is None:
        return Page(content, 0, len(content), len(content), 1 if content else 0)
    pageable = plain.pageable or _PlainPageable()
    return Page(content, pageable.page_number, pageable.page_size, plain.total_elements, plain.total_pages or 0)


def page_from_json(body: bytes, item_model: type[ItemT]) -> Page[ItemT]:
    """`parse_page` straight from the answer's bytes: one pass, no dict of every item on the way, and repeated
    strings (the frontdoor id, the creator) shared. Raises ValueError (or a pydantic ValidationError) wherever
    it cannot settle the page exactly as `parse_page` would, so that the caller falls back to `parse_page`,
    which says what is wrong; for every answer it reads, the page is the one `parse_page` gives."""
    envelope = cast(_EitherPage[ItemT], _either_page(item_model).model_validate_json(body))
    given = envelope.model_fields_set
    if "embedded_by_name" in given:
        raise ValueError("an `embedded` key")
    if "hal_embedded" in given or ("page" in given and "content" not in given):
        if envelope.page is None or ("hal_embedded" in given and envelope.hal_embedded is None):
            raise ValueError("not the HAL shape")
        found = [item for resources in (envelope.hal_embedded or {}).values() for item in resources]
        hal = envelope.page
        return Page(found, hal.number, hal.size, hal.total_elements, hal.total_pages)
    content = envelope.content
    if content is None:
        raise ValueError("not the guide's shape")
    if envelope.total_elements is None:
        return Page(content, 0, len(content), len(content), 1 if content else 0)
    pageable = envelope.pageable or _PlainPageable()
    return Page(content, pageable.page_number, pageable.page_size, envelope.total_elements, envelope.total_pages or 0)


class _PlainPageable(WireModel):
    page_number: int = Field(default=0, ge=0, alias="pageNumber")
    page_size: int = Field(default=0, ge=0, alias="pageSize")


class _PlainEnvelope(WireModel):
    content: list[Any]
    pageable: _PlainPageable | None = None
    total_elements: int | None = Field(default=None, ge=0, alias="totalElements")
    total_pages: int | None = Field(default=None, ge=0, alias="totalPages")


class _HalPage(WireModel):
    size: int = Field(ge=0)
    total_elements: int = Field(ge=0, validation_alias=AliasChoices("totalElements", "total_elements"))
    total_pages: int = Field(ge=0, validation_alias=AliasChoices("totalPages", "total_pages"))
    number: int = Field(ge=0)


class _HalEnvelope(WireModel):
    embedded: dict[str, list[Any]] = Field(default_factory=dict, alias="_embedded")
    page: _HalPage


class _EitherPage(WireModel, Generic[ItemT]):
    """Every field of both page shapes, optional, under exactly the keys the two envelopes accept (no field
    names beside them): which shape it is is decided from the keys given, by the same rules as `parse_page`.
    Items are validated against their model as the bytes are read."""

    model_config = ConfigDict(populate_by_name=False)

    content: list[ItemT] | None = None
    pageable: _PlainPageable | None = None
    total_elements: int | None = Field(
        default=None, ge=0, validation_alias=AliasChoices("totalElements", "total_elements")
    )
    total_pages: int | None = Field(default=None, ge=0, validation_alias=AliasChoices("totalPages", "total_pages"))
    hal_embedded: dict[str, list[ItemT]] | None = Field(default=None, validation_alias="_embedded")
    embedded_by_name: Any = Field(default=None, validation_alias="embedded")
    """The HAL envelope also takes `embedded` for `_embedded`, which this one does not settle: `parse_page` does."""
    page: _HalPage | None = None


@functools.cache
def _either_page(item_model: type[WireModel]) -> type[_EitherPage[Any]]:
    return _EitherPage[item_model]  # pyright: ignore[reportInvalidTypeForm]  # a model chosen at run time
