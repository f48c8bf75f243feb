"""Reading many things at once: every page of a list, and many resources by id, with requests in flight.

Both raise the first `FrontdoorError` a request met as itself (not wrapped in an ExceptionGroup), so callers
handle one failure type whatever the concurrency.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from typing import Any, Final, TypeVar

import anyio

from frontdoor_mcp.api.errors import FrontdoorError
from frontdoor_mcp.api.models import Page

ALL_PAGES_CONCURRENCY: Final = 16
"""Pages in flight at once during a walk: enough to hide latency (measured: 16 beats 8 by a third at 50 ms),
few enough to stay a polite client; a 429 is retried with backoff anyway."""
FETCH_CONCURRENCY: Final = 8
"""Single resources read at once when fetching many by id."""

ProgressCallback = Callable[[int, int], Awaitable[None]]
T = TypeVar("T")
R = TypeVar("R")


async def walk_pages(
    fetch: Callable[[int], Awaitable[Page[T]]],
    *,
    key: Callable[[T], str],
    concurrency: int = ALL_PAGES_CONCURRENCY,
    max_items: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> tuple[list[T], int]:
    """Every item of a list, and the total the API reported. `fetch(n)` reads page n (always with the same
    size, so the API's own cap on the size numbers the pages consistently). The first page gives the total
    and the size the API really used; the rest are fetched concurrently and put back in page order. An
    item seen twice (the list shifted during the walk) is kept once."""
    first = await fetch(0)
    per_page = max(first.size, len(first.items), 1)
    total_pages = first.total_pages
    if max_items is not None:
        total_pages = min(total_pages, -(-max_items // per_page))
    pages: dict[int, Sequence[T]] = {0: first.items}
    done = 1
    if on_progress is not None:
        await on_progress(done, max(total_pages, 1))
    limiter = anyio.CapacityLimiter(concurrency)

    async def fetch_one(number: int) -> None:
        nonlocal done
        async with limiter:
            page = await fetch(number)
        pages[number] = page.items
        done += 1
        if on_progress is not None:
            await on_progress(done, total_pages)

    await _all_or_first_failure(fetch_one, range(1, total_pages))
    seen: set[str] = set()
    items: list[T] = []
    for number in sorted(pages):
        for item in pages[number]:
            if key(item) not in seen:
                seen.add(key(item))
                items.append(item)
    if max_items is not None:
        items = items[:max_items]
    return items, first.total_elements


async def fetch_each(
    keys: Iterable[str],
    fetch: Callable[[str], Awaitable[R]],
    on_each: Callable[[str, R | FrontdoorError], Awaitable[None]],
    *,
    concurrency: int = FETCH_CONCURRENCY,
) -> None:
    """Read each of `keys` with `fetch`, at most `concurrency` at once, handing each outcome (the result, or
    the `FrontdoorError` it met) to `on_each` in completion order. A failure of one key does not stop the
    others: the caller decides what a failure means. Anything that is not a FrontdoorError propagates."""
    limiter = anyio.CapacityLimiter(concurrency)

    async def one(key: str) -> None:
        async with limiter:
            try:
                outcome: R | FrontdoorError = await fetch(key)
            except FrontdoorError as exc:
                outcome = exc
        await on_each(key, outcome)

    await _all_or_first_failure(one, keys)


async def _all_or_first_failure(work: Callable[[T], Coroutine[Any, Any, None]], inputs: Iterable[T]) -> None:
    try:
        async with anyio.create_task_group() as group:
            for value in inputs:
                group.start_soon(work, value)
    except* FrontdoorError as failures:
        # A task's failure leaves the group wrapped in an ExceptionGroup, which callers (they handle
        # FrontdoorError) would take for a crash: raise the first as itself. Anything else still propagates.
        raise failures.exceptions[0] from None
