"""Pages of a list: the one paging rule (which shapes a list answer may come in, and what each says), both
ways of reading a page by it (`parse_page` from decoded JSON, `page_from_json` from the bytes), and the one
way every resource's client asks for a page (`read_page`).

The guide documents one shape for the certificate list; no machine here has seen the real API's lists, so
every shape a Spring service plausibly answers in is read exactly, and anything else is refused by name:

- `guide`: `content`, `pageable{pageNumber,pageSize}`, `totalElements`, `totalPages` (Spring Data's Page as
  Jackson writes it; its own `size` and `number` beside them are read too);
- `spring-dto`: `content` and `page{size,number,totalElements,totalPages}` (Spring Data 3.3+'s PagedModel DTO);
- `hal`: `_embedded{<relation>: [...]}` and `page{...}` (Spring HATEOAS; an empty page has no `_embedded`);
- `content-only`: `content` alone (the shares guide's example): no totals;
- `array`: a bare JSON array: no totals.

Paging fields are read as JSON integers, strictly: a `true` or a `"10"` is no count (a lax reading would take
`true` for 1), so a shape whose paging fields are not integers does not fit. Unknown fields are ignored
anywhere. A shape that does not fit (or fits two ways) is an `UndocumentedShape` naming the top-level keys it
found, never a guess; a shape without totals says so (`total_elements` None), and the walk (`api.walk`) then
finds the end by evidence instead.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Generic, Literal, TypeVar, cast, get_args

from pydantic import AliasChoices, ConfigDict, Field, StrictInt, TypeAdapter, ValidationError

from frontdoor_mcp.api.decoding import UndocumentedShape, parsed_answer
from frontdoor_mcp.api.errors import ApiCall, parse_http_date
from frontdoor_mcp.api.http import ApiHttp
from frontdoor_mcp.api.models import WireModel
from frontdoor_mcp.text import cap_text

ItemT = TypeVar("ItemT", bound=WireModel)
ItemT_co = TypeVar("ItemT_co", covariant=True)

PageShape = Literal["guide", "spring-dto", "hal", "content-only", "array"]
PAGE_SHAPES: Final[tuple[PageShape, ...]] = get_args(PageShape)

_KEYS_SHOWN: Final = 12
_KEY_CHARS: Final = 40


@dataclass(frozen=True)
class Page(Generic[ItemT_co]):
    """One page of a list, as the API reported it. `page`, `size`, `total_elements` and `total_pages` are
    None where its shape does not report them (`content-only` and `array` report no totals)."""

    items: Sequence[ItemT_co]
    shape: PageShape
    page: int | None
    size: int | None
    total_elements: int | None
    total_pages: int | None
    served_at: datetime | None = None
    """When the API answered (its `Date` header), where the page came from an answer that said."""

    def place(self, asked_page: int, asked_size: int) -> PagePlace:
        """Where this page, read alone as page `asked_page` of `asked_size`, stands in its list, as far as the
        answer shows it. The next page is offered only when the answer shows another may follow: totals that
        say so or, without totals, a page exactly as full as the size used (a shorter one is the last; a
        longer one, more than was asked, is an API that may not page at all, whose "next page" would give the
        same items again)."""
        notes: list[str] = []
        if self.page is not None and self.page != asked_page:
            from_one = " (it may number its pages from 1)" if self.page == asked_page + 1 else ""
            notes.append(f"the API answered page={self.page} when asked for page={asked_page}{from_one}")
        used = self.size or asked_size
        count = len(self.items)
        total_pages = self.total_pages
        if total_pages is None and self.total_elements is not None:
            total_pages = -(-self.total_elements // used)
        if total_pages is not None:
            next_page = asked_page + 1 if asked_page + 1 < total_pages else None
        elif count > used:
            next_page = None
            notes.append(
                f"the API answered {count:,} items for a size of {used:,}: it may not page at all; all_pages reads "
                "the list and says whether it is complete"
            )
        elif count == used:
            next_page = asked_page + 1
        else:
            next_page = None
            if count and self.size is None:
                notes.append(
                    "the API reports no total and no page size, so this page, shorter than asked, is taken as the "
                    "last; all_pages says whether it is"
                )
        return PagePlace(asked_page, total_pages, next_page, tuple(notes))


@dataclass(frozen=True)
class PagePlace:
    """Where one page read alone stands in its list (`Page.place`)."""

    number: int
    """The page's number as asked: the number to send for it again."""
    total_pages: int | None
    """How many pages the list has by the API's count; None when it reports no total."""
    next_page: int | None
    """The next page's number, when the answer shows one may follow."""
    notes: tuple[str, ...] = ()
    """What the answer leaves open, as clauses: a page numbered otherwise than asked, more items than asked, a
    short page whose size the API does not report."""


class UnreadablePage(UndocumentedShape):
    """A list answer in no shape the paging rule reads."""


def shape_of(keys: Collection[str]) -> PageShape:
    """The shape an answer object with these top-level keys is in (the one rule both parsers apply).
    Raises UnreadablePage, naming the keys, for an object that fits no shape or two."""
    if "_embedded" in keys:
        if "content" in keys:
            raise _unreadable(keys, "both `_embedded` and `content`")
        if "page" not in keys:
            raise _unreadable(keys, "`_embedded` without `page`")
        return "hal"
    if "content" in keys:
        if "page" in keys:
            if "totalElements" in keys:
                raise _unreadable(keys, "both `page` and `totalElements`")
            return "spring-dto"
        if "totalElements" in keys or "totalPages" in keys:
            return "guide"
        return "content-only"
    if "page" in keys:
        return "hal"  # Spring HATEOAS leaves `_embedded` out of an empty page
    raise _unreadable(keys, "no `content`, `_embedded` or `page`")


def _unreadable(keys: Collection[str], why: str) -> UnreadablePage:
    """What was found, as a short trusted sentence: the top-level key names (escaped, capped), never values."""
    names = sorted(keys)
    shown = ", ".join(cap_text(name, _KEY_CHARS) for name in names[:_KEYS_SHOWN])
    more = f" and {len(names) - _KEYS_SHOWN} more" if len(names) > _KEYS_SHOWN else ""
    found = f"top-level keys: {shown}{more}" if names else "an empty object"
    return UnreadablePage(f"{why}; {found}")


@functools.cache
def _items_adapter(item_model: type[WireModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[item_model])  # pyright: ignore[reportInvalidTypeForm]  # a model chosen at run time


# The envelopes: every paging field under exactly its wire key (no Python names beside them) --------------


class _Envelope(WireModel):
    model_config = ConfigDict(populate_by_name=False)


class _Pageable(_Envelope):
    page_number: StrictInt | None = Field(default=None, ge=0, alias="pageNumber")
    page_size: StrictInt | None = Field(default=None, ge=0, alias="pageSize")


class _PageInfo(_Envelope):
    """Spring's page metadata (`PagedModel.PageMetadata`): HAL's `page`, and the DTO page's."""

    size: StrictInt | None = Field(default=None, ge=0)
    number: StrictInt | None = Field(default=None, ge=0)
    total_elements: StrictInt = Field(ge=0, validation_alias=AliasChoices("totalElements", "total_elements"))
    total_pages: StrictInt | None = Field(
        default=None, ge=0, validation_alias=AliasChoices("totalPages", "total_pages")
    )


class _Paging(_Envelope):
    """The paging fields beside `content` (guide and content-only). `pageable` may be Spring's "INSTANCE"
    (an unpaged request), which says nothing of the page."""

    pageable: _Pageable | str | None = None
    size: StrictInt | None = Field(default=None, ge=0)
    number: StrictInt | None = Field(default=None, ge=0)

    def page_size(self) -> int | None:
        if isinstance(self.pageable, _Pageable) and self.pageable.page_size is not None:
            return self.pageable.page_size
        return self.size

    def page_number(self) -> int | None:
        if isinstance(self.pageable, _Pageable) and self.pageable.page_number is not None:
            return self.pageable.page_number
        return self.number


class _GuidePage(_Paging):
    content: list[Any]
    total_elements: StrictInt = Field(ge=0, alias="totalElements")
    total_pages: StrictInt | None = Field(default=None, ge=0, alias="totalPages")


class _ContentPage(_Paging):
    content: list[Any]


class _DtoPage(_Envelope):
    content: list[Any]
    page: _PageInfo


class _HalPage(_Envelope):
    embedded: dict[str, list[Any]] = Field(default_factory=dict[str, list[Any]], alias="_embedded")
    page: _PageInfo


_ENVELOPES: Final[dict[PageShape, type[_Envelope]]] = {
    "guide": _GuidePage,
    "spring-dto": _DtoPage,
    "hal": _HalPage,
    "content-only": _ContentPage,
}


def _from_info(items: list[ItemT], shape: PageShape, info: _PageInfo) -> Page[ItemT]:
    return Page(items, shape, info.number, info.size, info.total_elements, info.total_pages)


def parse_page(data: Any, item_model: type[ItemT]) -> Page[ItemT]:
    """A page from decoded JSON, in any shape of the paging rule (see the module). Raises UnreadablePage for
    an answer in no shape (naming its top-level keys), or a ValidationError for items that are not the model."""
    items = _items_adapter(item_model)
    if isinstance(data, list):
        return Page(cast(list[ItemT], items.validate_python(data)), "array", None, None, None, None)
    if not isinstance(data, dict):
        raise UnreadablePage(f"a JSON {type(data).__name__}, neither an object nor an array")
    body = cast(dict[str, Any], data)
    shape = shape_of(body.keys())
    try:
        envelope = _ENVELOPES[shape].model_validate(body)
    except ValidationError:
        raise _unreadable(body.keys(), f"paging fields that do not fit the {shape} shape") from None
    if isinstance(envelope, _HalPage):
        found: list[ItemT] = []
        for resources in envelope.embedded.values():
            found.extend(cast(list[ItemT], items.validate_python(resources)))
        return _from_info(found, shape, envelope.page)
    if isinstance(envelope, _DtoPage):
        return _from_info(cast(list[ItemT], items.validate_python(envelope.content)), shape, envelope.page)
    assert isinstance(envelope, _ContentPage | _GuidePage)
    content = cast(list[ItemT], items.validate_python(envelope.content))
    if isinstance(envelope, _GuidePage):
        return Page(
            content,
            shape,
            envelope.page_number(),
            envelope.page_size(),
            envelope.total_elements,
            envelope.total_pages,
        )
    return Page(content, shape, envelope.page_number(), envelope.page_size(), None, None)


class _AnyPage(_Paging, Generic[ItemT]):
    """Every field of every shape, optional, under exactly the keys the envelopes accept: which shape it is
    is decided from the keys given (`shape_of`). Items are validated against their model as the bytes are
    read."""

    content: list[ItemT] | None = None
    total_elements: StrictInt | None = Field(default=None, ge=0, alias="totalElements")
    total_pages: StrictInt | None = Field(default=None, ge=0, alias="totalPages")
    embedded: dict[str, list[ItemT]] | None = Field(default=None, alias="_embedded")
    page: _PageInfo | None = None


_WIRE_KEYS: Final = {
    "content": "content",
    "pageable": "pageable",
    "size": "size",
    "number": "number",
    "total_elements": "totalElements",
    "total_pages": "totalPages",
    "embedded": "_embedded",
    "page": "page",
}


@functools.cache
def _any_page(item_model: type[WireModel]) -> type[_AnyPage[Any]]:
    return _AnyPage[item_model]  # pyright: ignore[reportInvalidTypeForm]  # a model chosen at run time


def page_from_json(body: bytes, item_model: type[ItemT]) -> Page[ItemT]:
    """`parse_page` straight from the answer's bytes: one pass, no dict of every item on the way, and repeated
    strings (the frontdoor id, the creator) shared. Raises ValueError (or a pydantic ValidationError) wherever
    it cannot settle the page exactly as `parse_page` would, so that the caller falls back to `parse_page`,
    which says what is wrong; for every answer it reads, the page is the one `parse_page` gives."""
    if body[:64].lstrip()[:1] == b"[":  # a bare array (its first bytes suffice: no copy of the whole body)
        return Page(cast(list[ItemT], _items_adapter(item_model).validate_json(body)), "array", None, None, None, None)
    envelope = cast(_AnyPage[ItemT], _any_page(item_model).model_validate_json(body))
    shape = shape_of({_WIRE_KEYS[name] for name in envelope.model_fields_set})
    if shape == "hal":
        if envelope.page is None or ("embedded" in envelope.model_fields_set and envelope.embedded is None):
            raise ValueError("not the hal shape")
        found = [item for resources in (envelope.embedded or {}).values() for item in resources]
        return _from_info(found, shape, envelope.page)
    if envelope.content is None:
        raise ValueError("no content")
    if shape == "spring-dto":
        if envelope.page is None:
            raise ValueError("not the spring-dto shape")
        return _from_info(envelope.content, shape, envelope.page)
    if shape == "guide":
        if envelope.total_elements is None:
            raise ValueError("not the guide's shape")
        return Page(
            envelope.content,
            shape,
            envelope.page_number(),
            envelope.page_size(),
            envelope.total_elements,
            envelope.total_pages,
        )
    return Page(envelope.content, shape, envelope.page_number(), envelope.page_size(), None, None)


async def read_page(
    http: ApiHttp, call: ApiCall, params: Mapping[str, str], item_model: type[ItemT], what: str
) -> Page[ItemT]:
    """One page of a list (`call` a GET of the collection, `params` its page, size and filters): validated
    straight from the answer's bytes, or, should that fail, decoded first, so a failure names what came back
    (`what`: how an error calls the list)."""
    answer = await http.call_for_json(call, params=params)
    page = parsed_answer(
        answer,
        lambda body: page_from_json(body, item_model),
        lambda data: parse_page(data, item_model),
        what,
    )
    return dataclasses.replace(page, served_at=parse_http_date(answer.headers.get("date")))
