"""Pages of a list: the shapes the API may answer a list in, read into one `Page`, and the one way every
resource's client asks for a page (`read_page`)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from pydantic import AliasChoices, ConfigDict, Field, TypeAdapter

from frontdoor_mcp.api.decoding import parsed_answer
from frontdoor_mcp.api.errors import ApiCall
from frontdoor_mcp.api.http import ApiHttp
from frontdoor_mcp.api.models import WireModel

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


async def read_page(
    http: ApiHttp, call: ApiCall, params: Mapping[str, str], item_model: type[ItemT], what: str
) -> Page[ItemT]:
    """One page of a list (`call` a GET of the collection, `params` its page, size and filters): validated
    straight from the answer's bytes, or, should that fail, decoded first, so a failure names what came back
    (`what`: how an error calls the list)."""
    answer = await http.call_for_json(call, params=params)
    return parsed_answer(
        answer,
        lambda body: page_from_json(body, item_model),
        lambda data: parse_page(data, item_model),
        what,
    )
