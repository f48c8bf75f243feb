"""Reading many things at once: every page of a list, and many resources by id, with requests in flight.

Both raise the first `FrontdoorError` a request met as itself (not wrapped in an ExceptionGroup), so callers
handle one failure type whatever the concurrency.

A walk (every page of a list) stops only on evidence, and says whether it can show it read everything:

- Where the pages report the list's total, the first page gives the total and the size the API really used
  (its length when more is to come: a first page is full), and the other pages are then read concurrently.
  The walk is finished when the pages agree with the total: every page but the last full, the last holding
  what the total leaves, the same total on every page, as many distinct items as reported. When they
  disagree (the list changed, or the API counts differently than it pages) it reads on, page after page,
  until a page shorter than the size or an empty one, and says the walk is incomplete and why.
- Where they report no total (`content` alone, a bare array), the walk reads pages in order (a few at a time)
  until one is shorter than the first, or empty.
- Offset paging skips an item when the list shifts between two page reads (a delete before it), and a create
  can hide that from every count. So a walk of more than one page is `complete` only once it has shown it
  read every item the list held when it began. One page is a snapshot by itself. Past one page:
  - read newest first (`created_at` given) with totals, and every item after the first page older than the
    first page's newest: nothing created during the walk was read (it would be at least as new), so as many
    distinct items as the total are exactly the items the list held as the first page was read. No request
    more. (This holds while the API stamps `createdAt` from one clock and sorts by it as asked.)
  - the same, but an item after the first page as new as the newest (created in the same second, as after a
    bulk import): when the newest was created well before the first page was served (by the answer's `Date`,
    more than `STAMP_SKEW_S` and a second before), an item created during the walk is still newer than it,
    so the same holds, with no request more (the clocks stamping `Date` and `createdAt` are taken to agree
    within `STAMP_SKEW_S`). Otherwise that item may have been created during the walk, so one small read of
    the head after the walk must find the same newest items and total (nothing created since survives; with
    the same total, nothing was deleted; with every page reporting that total, nothing created and deleted
    again was there while a page was read: every page saw the same list). This holds while a new item sorts
    first among those of its second (the API sorts by a finer time than it shows, or by creation order among
    equals, as the sandbox does); of an API that orders equals otherwise, nothing here can tell.
  - otherwise (no totals, another order, or an API that did not sort as asked: an item newer than the first
    page's newest) a second reading of the same pages must find exactly what the first did.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Generic, TypeVar

import anyio

from frontdoor_mcp.api.concurrency import AdaptiveConcurrency, AnswerObserver
from frontdoor_mcp.api.errors import FrontdoorError
from frontdoor_mcp.api.ids import InvalidIdError
from frontdoor_mcp.api.pages import Page, PageShape
from frontdoor_mcp.rules import WALK_MAX_ITEMS

ALL_PAGES_CONCURRENCY: Final = 16
"""Pages in flight at once during a walk: enough to hide latency (measured: 16 beats 8 by a third at 50 ms),
few enough to stay a polite client; a 429 is retried with backoff anyway."""
STAMP_SKEW_S: Final = 5.0
"""How far apart the API's `Date` and its `createdAt` may be stamped (one service's clocks, kept by NTP)."""
HEAD_CHECK_SIZE: Final = 20
"""How many of the newest items the read after a walk compares with the first page's (a few, not one: a
new item created in the same clock tick as the newest may sort just after it)."""

ProgressCallback = Callable[[int, int | None], Awaitable[None]]
"""`(pages read, pages expected)`; expected is None when the API reports no total."""
T = TypeVar("T")
R = TypeVar("R")

PageFetch = Callable[[int, int], Awaitable[Page[T]]]
"""`fetch(number, size)`: page `number` of the list, asked `size` large (always in the same order)."""


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

    @property
    def full(self) -> bool:
        return self.max_read is not None and self.read >= self.max_read

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


@dataclass(frozen=True)
class Walked:
    """What a walk can say of itself."""

    shape: PageShape
    """The shape the API answered in (see `api.pages`)."""
    total: int | None
    """The list's total as the API reported it when the walk began; None when its pages report none."""
    page_size: int
    """The size the API used for its pages (its cap, when that is below the size asked)."""
    requests: int
    """List requests made, checks included."""
    complete: bool
    """True only when the walk showed it read every item the list held throughout the walk."""
    why_incomplete: str | None = None
    """When not complete, why, as a clause ("the list changed while it was read (...)")."""


async def walk_pages(
    fetch: PageFetch[T],
    *,
    key: Callable[[T], str],
    size: int,
    created_at: Callable[[T], datetime | None] | None = None,
    concurrency: int = ALL_PAGES_CONCURRENCY,
    max_items: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> tuple[list[T], Walked]:
    """Every item of a list (each once, the first `max_items` at most), and what the walk can say of itself."""
    selection = Selection(key, max_read=max_items)
    walked = await walk_into(
        fetch, selection, size=size, created_at=created_at, concurrency=concurrency, on_progress=on_progress
    )
    return selection.items, walked


async def walk_into(
    fetch: PageFetch[T],
    selection: Selection[T],
    *,
    size: int,
    created_at: Callable[[T], datetime | None] | None = None,
    concurrency: int = ALL_PAGES_CONCURRENCY,
    on_progress: ProgressCallback | None = None,
) -> Walked:
    """Read every page of a list into `selection`, in page order, by the rule in the module's docstring.
    `fetch(n, size)` reads page n, always `size` large (so the API's own cap on the size numbers the pages
    consistently). `created_at`, when given, says `fetch` lists newest first (by that time), which lets the
    walk check itself with one small read instead of a second pass. Pages are handed to `selection` as soon
    as the pages before them have been, then dropped; only their ids are kept, to compare."""
    return await _Walk(fetch, selection, size, created_at, concurrency, on_progress).run()


@dataclass(frozen=True)
class _PageSeen:
    """What a walk keeps of a page once its items are handed on."""

    ids: tuple[str, ...]
    total: int | None
    shape: PageShape

    @property
    def length(self) -> int:
        return len(self.ids)


class _Walk(Generic[T]):
    def __init__(
        self,
        fetch: PageFetch[T],
        selection: Selection[T],
        size: int,
        created_at: Callable[[T], datetime | None] | None,
        concurrency: int,
        on_progress: ProgressCallback | None,
    ) -> None:
        self.fetch = fetch
        self.selection = selection
        self.size = size
        self.created_at = created_at
        self.limiter = anyio.CapacityLimiter(concurrency)
        self.concurrency = concurrency
        self.on_progress = on_progress
        self.seen: dict[int, _PageSeen] = {}
        self.requests = 0
        self.done = 0
        self.expected: int | None = None
        self.newest: datetime | None = None
        self.newest_first = created_at is not None
        """Still true while every item read is no newer than the first (the API sorted as asked)."""
        self.tied = False
        """True when an item after the first page is as new as the first page's newest."""
        self.problems: list[str] = []
        self.cut_short = False
        """True when the walk stopped at the most it reads, not at the end of the list."""

    # Reading -------------------------------------------------------------------------------------------

    async def read(self, number: int, size: int | None = None) -> Page[T]:
        async with self.limiter:
            page = await self.fetch(number, size or self.size)
        self.requests += 1
        return page

    def keep(self, number: int, page: Page[T]) -> None:
        """A page of the walk, in page order: its items to the selection, its ids kept, the order checked."""
        ids = tuple(self.selection.key(item) for item in page.items)
        self.seen[number] = _PageSeen(ids, page.total_elements, page.shape)
        if self.created_at is not None and self.newest_first:
            for item in page.items:
                created = _utc(self.created_at(item))
                if created is None or self.newest is None or created > self.newest:
                    self.newest_first = False  # not the order asked for (or no time to tell): check otherwise
                    break
                if number > 0 and created == self.newest:
                    self.tied = True
        self.selection.add(page.items)

    async def progress(self) -> None:
        self.done += 1
        if self.on_progress is not None:
            expected = None if self.expected is None else max(self.expected, self.done)
            await self.on_progress(self.done, expected)

    # The walk ------------------------------------------------------------------------------------------

    async def run(self) -> Walked:
        first = await self.read(0)
        if first.items and self.created_at is not None:
            self.newest = _utc(self.created_at(first.items[0]))
        counted = first.total_elements is not None
        length = len(first.items)
        if counted and first.total_elements and 0 < length < first.total_elements:
            per_page = length  # a first page with more to come is full: its length is the size the API used
        else:
            per_page = max(first.size or 0, length) if counted else length
        self.expected = max(1, math.ceil((first.total_elements or 0) / per_page)) if counted and per_page else None
        self.keep(0, first)
        await self.progress()
        if not first.items:
            if first.total_elements:
                self.problems.append(f"its first page was empty, though the API reported {first.total_elements:,}")
            return self.result(first, per_page or self.size)
        if first.total_elements is not None:
            await self.counted(first.total_elements, per_page)
        else:
            await self.uncounted(per_page)
        if self.problems or self.capped(first.total_elements):
            return self.result(first, per_page)
        last = max(self.seen)
        if last == 0 or (last == 1 and self.seen[1].length == 0):
            return self.result(first, per_page)  # one page: a snapshot
        if counted and self.newest_first:
            if self.tied and not self.newest_before(first.served_at):
                await self.check_head(first, per_page)
        else:
            await self.read_again(last)
        return self.result(first, per_page)

    async def counted(self, total: int, per_page: int) -> None:
        """The pages after the first, all at once: the first page said how many there are."""
        pages = math.ceil(total / per_page)
        if self.selection.max_read is not None:
            pages = min(pages, math.ceil(self.selection.max_read / per_page))
        self.expected = pages
        await self.in_order(range(1, pages))
        self.compare_with_total(total, per_page, pages)
        if self.problems and not self.selection.full:
            await self.read_on(pages, per_page)

    def compare_with_total(self, total: int, per_page: int, pages: int) -> None:
        found = [self.seen[number] for number in range(pages)]
        changed = sorted({page.total for page in found if page.total != total}, key=lambda value: value or 0)
        if changed:
            became = ", ".join(f"{value:,}" if value is not None else "none" for value in changed)
            self.problems.append(
                f"the list changed while it was read (the API's count went from {total:,} to {became})"
            )
        if any(page.shape != found[0].shape for page in found):
            self.problems.append("its pages came in different shapes")
        short = next((number for number, page in enumerate(found[:-1]) if page.length != per_page), None)
        if short is not None:
            self.problems.append(
                f"the list changed while it was read (page {short} held {found[short].length:,} items where "
                f"{per_page:,} were due)"
            )
        if self.capped(total):
            return
        due = total - (pages - 1) * per_page
        if found[-1].length > due:
            self.problems.append("its last page held more than the API's count leaves for it")
        elif not self.problems and self.selection.read != total:
            self.problems.append(
                f"the list changed while it was read (its pages held {self.selection.read:,} distinct items where "
                f"the API reported {total:,})"
            )

    async def uncounted(self, per_page: int) -> None:
        """No total: pages in order, a few at a time (1, 2, 4 ... up to the concurrency), until one is shorter
        than the first or empty."""
        number, window = 1, 1
        while not self.selection.full and number <= self.item_budget() // per_page + 1:
            numbers = range(number, number + window)
            if await self.in_order(numbers, until_short=per_page) is not None:
                return
            number += window
            window = min(window * 2, self.concurrency)
        self.cut_short = True

    async def read_on(self, after: int, per_page: int) -> None:
        """Past the pages the total predicted, one at a time, until a page shorter than the size or empty."""
        number = after
        while not self.selection.full and number <= self.item_budget() // per_page + 1:
            if await self.in_order(range(number, number + 1), until_short=per_page) is not None:
                return
            number += 1
        self.cut_short = True

    def item_budget(self) -> int:
        return self.selection.max_read if self.selection.max_read is not None else WALK_MAX_ITEMS

    async def in_order(self, numbers: range, *, until_short: int | None = None) -> int | None:
        """Read `numbers` concurrently, keeping each page in page order as soon as the pages before it are
        in. With `until_short`: stop keeping at the first page shorter than that (returned; pages after it in
        the same window must be empty, else the list shifted)."""
        waiting: dict[int, Page[T]] = {}
        state = {"next": numbers.start, "ended": None}

        async def one(number: int) -> None:
            page = await self.read(number)
            waiting[number] = page
            while state["next"] in waiting:
                current = state["next"]
                assert current is not None
                ready = waiting.pop(current)
                state["next"] = current + 1
                if state["ended"] is not None:
                    if ready.items:
                        self.problems.append(
                            f"the list changed while it was read (page {current} held items after a shorter page)"
                        )
                    continue
                self.keep(current, ready)
                if until_short is not None and len(ready.items) > until_short:
                    self.problems.append(f"page {current} held more items than the first page")
                if until_short is not None and len(ready.items) < until_short:
                    state["ended"] = current
            await self.progress()

        await _all_or_first_failure(one, numbers)
        return state["ended"]

    # Checking ------------------------------------------------------------------------------------------

    def newest_before(self, served_at: datetime | None) -> bool:
        """Whether the newest item was created so long before the first page was served that anything created
        since carries a later `createdAt` (whole seconds both, and clocks up to STAMP_SKEW_S apart)."""
        served = _utc(served_at)
        if served is None or self.newest is None:
            return False
        return self.newest + timedelta(seconds=STAMP_SKEW_S + 1) < served

    def capped(self, total: int | None) -> bool:
        """Whether the walk stopped at the most it reads, with more (or maybe more) left."""
        return self.cut_short or (self.selection.full and (total is None or total > self.selection.read))

    async def check_head(self, first: Page[T], per_page: int) -> None:
        """After the walk, the newest few and the total again: the same, or the list changed under the walk."""
        asked = min(per_page, HEAD_CHECK_SIZE)
        head = await self.read(0, asked)
        ids = tuple(self.selection.key(item) for item in head.items)
        expected = self.seen[0].ids[: len(ids)]
        if head.total_elements != first.total_elements or ids != expected or len(ids) < min(asked, len(first.items)):
            self.problems.append("the list changed while it was read (its newest items or its count differed after)")

    async def read_again(self, last: int) -> None:
        """The same pages a second time: a list that did not change gives exactly what it gave."""
        again: dict[int, _PageSeen] = {}

        async def one(number: int) -> None:
            page = await self.read(number)
            again[number] = _PageSeen(
                tuple(self.selection.key(item) for item in page.items), page.total_elements, page.shape
            )

        await _all_or_first_failure(one, range(last + 1))
        if any(again[number] != self.seen[number] for number in range(last + 1)):
            self.problems.append("the list changed while it was read (a second reading of its pages differed)")

    def result(self, first: Page[T], per_page: int) -> Walked:
        reasons = list(self.problems)
        if self.capped(first.total_elements):
            reasons.insert(0, f"one walk reads at most {self.item_budget():,}")
        return Walked(
            shape=first.shape,
            total=first.total_elements,
            page_size=per_page,
            requests=self.requests,
            complete=not reasons,
            why_incomplete="; ".join(reasons[:2]) if reasons else None,
        )


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


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
