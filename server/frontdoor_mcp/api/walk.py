"""Reading many things at once: every page of a list, and many resources by id, with requests in flight.

Both raise the first `FrontdoorError` a request met as itself (not wrapped in an ExceptionGroup), so callers
handle one failure type whatever the concurrency.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from typing import Any, Final, Generic, TypeVar

import anyio

from frontdoor_mcp.api.concurrency import AdaptiveConcurrency, AnswerObserver
from frontdoor_mcp.api.errors import FrontdoorError
from frontdoor_mcp.api.ids import InvalidIdError
from frontdoor_mcp.api.pages import Page

ALL_PAGES_CONCURRENCY: Final = 16
"""Pages in flight at once during a walk: enough to hide latency (measured: 16 beats 8 by a third at 50 ms),
few enough to stay a polite client; a 429 is retried with backoff anyway."""

ProgressCallback = Callable[[int, int], Awaitable[None]]
T = TypeVar("T")
R = TypeVar("R")


class Selection(Generic[T]):
    """What a walk keeps of the items it reads, taken in list order: each distinct item (by `key`) once, the
    first `max_read` of them at most; of those, the ones that `match` are counted (`matched`), and the first
    `keep` of them kept (`items`). The rest are dropped as their page is read, so a walk that only needs a
    count and the first few never holds every item at once."""

    def __init__(
        self,
        key: Callable[[T], str],
        *,
        match: Callable[[T], bool] | None = None,
        keep: int | None = None,
        max_read: int | None = None,
    ) -> None:
        self.key = key
        self.match = match
        self.keep = keep
        self.max_read = max_read
        self.items: list[T] = []
        self.read = 0
        """Distinct items read (at most `max_read`)."""
        self.matched = 0
        self._seen: set[str] = set()

    def add(self, page: Sequence[T]) -> None:
        """The next page's items, in list order."""
        for item in page:
            if self.max_read is not None and self.read >= self.max_read:
                return
            item_key = self.key(item)
            if item_key in self._seen:
                continue  # the list shifted during the walk: an item seen twice is kept once
            self._seen.add(item_key)
            self.read += 1
            if self.match is None or self.match(item):
                self.matched += 1
                if self.keep is None or len(self.items) < self.keep:
                    self.items.append(item)


async def walk_pages(
    fetch: Callable[[int], Awaitable[Page[T]]],
    *,
    key: Callable[[T], str],
    concurrency: int = ALL_PAGES_CONCURRENCY,
    max_items: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> tuple[list[T], int]:
    """Every item of a list (each once, the first `max_items` at most), and the total the API reported."""
    selection = Selection(key, max_read=max_items)
    total = await walk_into(fetch, selection, concurrency=concurrency, on_progress=on_progress)
    return selection.items, total


async def walk_into(
    fetch: Callable[[int], Awaitable[Page[T]]],
    selection: Selection[T],
    *,
    concurrency: int = ALL_PAGES_CONCURRENCY,
    on_progress: ProgressCallback | None = None,
) -> int:
    """Read every page of a list into `selection`, in page order; return the total the API reported.
    `fetch(n)` reads page n (always with the same size, so the API's own cap on the size numbers the pages
    consistently). The first page gives the total and the size the API really used; the rest are fetched
    concurrently (at most `concurrency` at once), each handed to `selection` as soon as the pages before it
    have been, then dropped: only pages that arrive ahead of an earlier one wait, and only until it comes."""
    first = await fetch(0)
    per_page = max(first.size, len(first.items), 1)
    total_pages = first.total_pages
    if selection.max_read is not None:
        total_pages = min(total_pages, -(-selection.max_read // per_page))
    selection.add(first.items)
    total_elements = first.total_elements
    del first  # its items are in `selection`, or dropped
    waiting: dict[int, Sequence[T]] = {}
    next_page = 1
    done = 1
    if on_progress is not None:
        await on_progress(done, max(total_pages, 1))
    limiter = anyio.CapacityLimiter(concurrency)

    async def fetch_one(number: int) -> None:
        nonlocal done, next_page
        async with limiter:
            page = await fetch(number)
        waiting[number] = page.items
        del page
        while next_page in waiting:
            selection.add(waiting.pop(next_page))
            next_page += 1
        done += 1
        if on_progress is not None:
            await on_progress(done, total_pages)

    await _all_or_first_failure(fetch_one, range(1, total_pages))
    return total_elements


async def fetch_each(
    keys: Iterable[str],
    fetch: Callable[[str, AnswerObserver], Awaitable[R]],
    on_each: Callable[[str, R | FrontdoorError], Awaitable[None]],
    *,
    concurrency: AdaptiveConcurrency | None = None,
) -> None:
    """Read each of `keys` with `fetch(key, observe)`, as many at once as `concurrency` allows (by default a
    fresh `AdaptiveConcurrency`: it grows while answers are healthy, halves on 429 or 503, and waits out a
    Retry-After; `fetch` passes `observe` to the HTTP layer so that it hears every answer). Each outcome (the
    result, or the `FrontdoorError` it met) goes to `on_each` in completion order. A failure of one key does
    not stop the others: the caller decides what a failure means. Anything that is not a FrontdoorError
    propagates. A few workers (at most the limit's maximum) take the keys in turn, rather than a task per key."""
    limit = concurrency or AdaptiveConcurrency()
    pending = iter(keys)

    async def worker(_: int) -> None:
        for key in pending:  # shared by the workers: each key is taken once
            async with limit.slot() as observe:
                try:
                    outcome: R | FrontdoorError = await fetch(key, observe)
                except FrontdoorError as exc:
                    outcome = exc
            await on_each(key, outcome)

    await _all_or_first_failure(worker, range(limit.maximum))


async def run_together(*jobs: Callable[[], Awaitable[None]]) -> None:
    """Run `jobs` at the same time; the first `FrontdoorError` (or refused id) one meets cancels the others
    and is raised as itself."""

    async def run(job: Callable[[], Awaitable[None]]) -> None:
        await job()

    await _all_or_first_failure(run, jobs)


async def _all_or_first_failure(work: Callable[[T], Coroutine[Any, Any, None]], inputs: Iterable[T]) -> None:
    try:
        async with anyio.create_task_group() as group:
            for value in inputs:
                group.start_soon(work, value)
    except* (FrontdoorError, InvalidIdError) as failures:
        # A task's failure leaves the group wrapped in an ExceptionGroup, which callers (they handle
        # FrontdoorError, and an id refused before any request) would take for a crash: raise the first as
        # itself. Anything else still propagates.
        raise failures.exceptions[0] from None
