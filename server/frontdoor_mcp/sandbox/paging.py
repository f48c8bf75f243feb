"""How the sandbox pages its lists: the shape a list answer takes, and the largest page it serves. Chosen at
start (`frontdoor-mcp sandbox --paging ... --max-page-size N`, `start_sandbox(paging=..., max_page_size=...)`)
and changed at run time through `/_sandbox/paging`, so a client can be walked through every shape a real
API might answer in. Standard library only: the command line's options read the shapes from here.

The shapes (README, "Sandbox choices": each a variant, not API fact):

- `guide`: Spring Data's Page as Jackson writes it, the shape the client-certificates guide shows.
- `spring-dto`: Spring Data 3.3+'s PagedModel DTO (`content` and `page{size,number,totalElements,totalPages}`).
- `hal`: Spring HATEOAS's PagedModel (`_embedded`, `_links`, `page{...}`) even to `Accept: application/json`.
- `content-only`: `content` alone, as the shares guide shows it.
- `array`: a bare JSON array of the items.
- `unpaged`: every page answered with the whole list, a bare JSON array, whatever `page` and `size` say (an API
  without paging), so a client's walk meets an API that repeats its pages.

`Accept: application/hal+json` is answered in HAL whatever the shape, as before.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Final, Literal, get_args

PagingShape = Literal["guide", "spring-dto", "hal", "content-only", "array", "unpaged"]
PAGING_SHAPES: Final[tuple[PagingShape, ...]] = get_args(PagingShape)
DEFAULT_SHAPE: Final[PagingShape] = "guide"
DEFAULT_MAX_PAGE_SIZE: Final = 2000
"""Spring Data's PageableHandlerMethodArgumentResolver default `maxPageSize`."""
LARGEST_MAX_PAGE_SIZE: Final = 100_000


@dataclass(frozen=True)
class Paging:
    shape: PagingShape = DEFAULT_SHAPE
    max_page_size: int = DEFAULT_MAX_PAGE_SIZE

    def __post_init__(self) -> None:
        if self.shape not in PAGING_SHAPES:
            raise ValueError(f"paging must be one of {', '.join(PAGING_SHAPES)}")
        if isinstance(self.max_page_size, bool) or not 1 <= self.max_page_size <= LARGEST_MAX_PAGE_SIZE:
            raise ValueError(f"max_page_size must be an integer from 1 to {LARGEST_MAX_PAGE_SIZE:,}")

    def rows(self, page: int, size: int, representation: str) -> tuple[int, int]:
        """Which rows a page holds, as (offset, limit): `size` rows from page `page`'s first, or, `unpaged` and
        JSON asked, every row (HAL asked is answered in HAL, paged, whatever the shape)."""
        if self.shape == "unpaged" and representation == "json":
            return 0, -1  # SQLite's LIMIT -1: no limit
        return page * size, size

    def to_json(self) -> dict[str, object]:
        return {"shape": self.shape, "max_page_size": self.max_page_size}


def _shape(name: str) -> PagingShape:
    if name not in PAGING_SHAPES:
        raise ValueError(f"paging must be one of {', '.join(PAGING_SHAPES)}")
    return name


class PagingControl:
    """The paging in force; thread-safe (tests change it from their thread while the server runs in another)."""

    def __init__(self, paging: Paging | None = None) -> None:
        self._lock = threading.Lock()
        self._paging = paging or Paging()

    @property
    def current(self) -> Paging:
        return self._paging

    def set(self, *, shape: str | None = None, max_page_size: int | None = None) -> Paging:
        """Change what is given (ValueError, changing nothing, for a value out of range); the paging now."""
        with self._lock:
            changed = replace(
                self._paging,
                shape=self._paging.shape if shape is None else _shape(shape),
                max_page_size=self._paging.max_page_size if max_page_size is None else max_page_size,
            )
            self._paging = changed
            return changed

    def update_from_json(self, body: object) -> Paging:
        """`PUT /_sandbox/paging`'s body: `{"shape": ..., "max_page_size": ...}`, either or both; anything else
        is refused with a precise ValueError."""
        if not isinstance(body, dict):
            raise ValueError("the paging must be a JSON object")
        fields: dict[str, object] = {str(key): value for key, value in body.items()}  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
        unknown = sorted(set(fields) - {"shape", "max_page_size"})
        if unknown:
            raise ValueError(f"unknown paging field(s): {', '.join(unknown)}")
        shape = fields.get("shape")
        if shape is not None and not isinstance(shape, str):
            raise ValueError(f"shape must be one of {', '.join(PAGING_SHAPES)}")
        size = fields.get("max_page_size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
            raise ValueError("max_page_size must be an integer")
        return self.set(shape=shape, max_page_size=size)
