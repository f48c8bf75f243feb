"""Reading many things at once: every page of a list, and many resources by id, with requests in flight.

Both raise the first `FrontdoorError` a request met as itself (not wrapped in an ExceptionGroup), so callers
handle one failure type whatever the concurrency.

A walk (every page of a list) stops only on evidence, and says whether it can show it read everything:

- Where the pages report the list's total, the first page gives the total and the size the API really used
  (its length when more is to come: a first page is full), and the other pages are then read concurrently.
  The walk is finished when the pages agree with the total: every page but the last full, the last holding
  what the total leaves, the same total on every page, as many distinct items as reported. When they
  disagree it reads on, page after page, until a page shorter than the size or an empty one, and says the
  walk is incomplete and why.
- Where they report no total (`content` alone, a bare array), the walk reads pages in order (a few at a time)
  until one is shorter than the first, or empty.
- A page whose items were all given before (page 1 the same as page 0) shows an API that repeats its pages:
  one that ignores `page`, or numbers its pages from 1. The walk stops there, incomplete. When pages 1 and 2
  both give exactly page 0's items, the API does not page: its one answer is read as the list, and the walk
  still says it is not complete, because an API that ignores `page` and cuts its one answer at a limit of its
  own answers exactly alike, and nothing in the answers tells the two apart.
- Why a walk is incomplete is of one of three kinds (`IncompleteKind`): the list changed while it was read,
  the API's answers disagree with no sign of a change, or the walk stopped at the most it reads. Pages and
  counts that disagree fit both of the first two, so the pages are then read a second time: a list that
  changed gives something else, an API that disagrees with itself gives the same again.
- Offset paging skips an item when the list shifts between two page reads (a delete before it), and a create
  can hide that from every count. So a walk of more than one page is `complete` only once it has shown it
  read every item the list held when it began. One page is a snapshot by itself. Past one page:
  - read newest first (`created_at` given) with totals, and every item after the first page older than the
    first page's newest: nothing created during the walk was read (it would be at least as new), so as many
    distinct items as the total are exactly the items the list held as the first page was read. No request
    more. (Assumptions A and B below.)
  - the same, but an item after the first page as new as the newest (created in the same second, as after a
    bulk import): when the newest was created well before the first page was served (by the answer's `Date`,
    more than `STAMP_SKEW_S` and a second before), an item created during the walk is still newer than it,
    so the same holds, with no request more (assumption D). Otherwise that item may have been created during
    the walk, so one small read of the head after the walk must find the same newest items and total (nothing
    created since survives, by assumption C; with the same total, nothing was deleted; with every page
    reporting that total, nothing created and deleted again was there while a page was read: every page saw
    the same list).
  - otherwise (no totals, another order, or an API that did not sort as asked: an item newer than the first
    page's newest) a second reading of the same pages must find exactly what the first did.

The reads newest first rest on behaviour the API does not specify, taken here as assumptions; of an API that
breaks one, nothing here can tell, and a walk may then miss an item and still say it is complete:

- A: `createdAt` is stamped from one clock as an item becomes visible, so an item created during a walk is at
  least as new as every item listed before it;
- B: the API sorts by `createdAt` as asked;
- C: among items of the same `createdAt`, a new one sorts first (the API sorts by a finer time than it shows,
  or by creation order among equals, as the sandbox does);
- D: the clocks stamping `Date` and `createdAt` agree within `STAMP_SKEW_S`.

A read of the head after a walk the times already show whole would add no evidence: what it could find (a
create sorting first) is what the times show was not read.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Generic, Literal, TypeVar

import anyio

from frontdoor_mcp.api.concurrency import AdaptiveConcurrency, AnswerObserver
from frontdoor_mcp.api.errors import FrontdoorError
from frontdoor_mcp.api.ids import InvalidIdError
from frontdoor_mcp.api.pages import Page, PageShape
from frontdoor_mcp.rules import WALK_MAX_ITEMS, SortOrder

ALL_PAGES_SIZE: Final = 2000
"""The page size every walk asks for (Spring Data's default largest page); the size the API really uses is read
from its answers."""
ALL_PAGES_CONCURRENCY: Final = 16
"""Pages in flight at once during a walk: enough to hide latency (measured: 16 beats 8 by a third at 50 ms),
few enough to stay a polite client; a 429 is retried with backoff anyway."""
NEWEST_FIRST: Final[SortOrder] = "createdAt,desc"
"""The order a walk reads in when none is asked: what is created during the walk then lands on the first page,
where the times, or one small read after the walk, show it was not read (see the module)."""
STAMP_SKEW_S: Final = 5.0
"""How far apart the API's `Date` and its `createdAt` are taken to be stamped (assumption D of the module)."""
HEAD_CHECK_SIZE: Final = 20
"""How many of the newest items the read after a walk compares with the first page's. By assumption C (a new
item sorts first among those of its second) one would do; a few cost no more, and also catch a new item that
an API breaking C sorts just after the newest, though not one it sorts further down."""

ProgressCallback = Callable[[int, int | None], Awaitable[None]]
"""`(pages read, pages expected)`; expected is None when the API reports no total."""
T = TypeVar("T")
R = TypeVar("R")

PageFetch = Callable[[int, int], Awaitable[Page[T]]]
"""`fetch(number, size)`: page `number` of the list, asked `size` large (always in the same order)."""

IncompleteKind = Literal["changed", "inconsistent", "capped"]
"""Why a walk is not complete. `changed`: the list changed while it was read (its count moved, a page held
items after a shorter one, a second reading or the read of the head differed): another walk may find it still.
`inconsistent`: the API's answers disagree with each other and nothing shows the list changed (a second reading
found the same), or the API does not page: another walk would find the same. `capped`: the walk stopped at the
most it reads."""
UNPAGED: Final = "the API answered every page with the same items: it does not page; read as one list"


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

    def given_before(self, page: Sequence[T]) -> bool:
        """Whether every item of `page` (not empty) was read already."""
        return bool(page) and all(self.key(item) in self._seen for item in page)

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
    incomplete_kind: IncompleteKind | None = None
    """When not complete, the kind of the first reason given (see `IncompleteKind`): what a caller may advise."""


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


_ProblemKind = Literal["changed", "inconsistent", "disagreement"]


@dataclass(frozen=True)
class _Problem:
    kind: _ProblemKind
    """`disagreement`: pages or counts that disagree, which a list that changed and an API that disagrees with
    itself both explain; a second reading of the pages tells which (`_Walk.second_reading`)."""
    clause: str
    """What was found; for a disagreement, the fact alone, worded either way once a second reading tells which."""
    as_the_apis: str | None = None
    """For a disagreement that proves the API's own, the whole clause, where the general one would not read well."""


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
        self.problems: list[_Problem] = []
        self.cut_short = False
        """True when the walk stopped at the most it reads, not at the end of the list."""
        self.repeated: int | None = None
        """The first page whose items were all given before, if one was."""
        self.unpaged = False
        """True when pages 1 and 2 both gave exactly page 0's items: the API does not page."""
        self.renumbered: tuple[int, int] | None = None
        """The first page the API numbered otherwise than asked: (asked, answered)."""
        self.second_reading: bool | None = None
        """Whether a second reading, made to tell a change from a disagreement, found the same pages."""

    # Reading -------------------------------------------------------------------------------------------

    async def read(self, number: int, size: int | None = None) -> Page[T]:
        async with self.limiter:
            page = await self.fetch(number, size or self.size)
        self.requests += 1
        return page

    async def read_unless_repeated(self, number: int) -> Page[T] | None:
        """Page `number`, unless the API was found repeating its pages while it waited its turn: what is left
        would only repeat too (a count of thousands over an API that does not page would be read whole)."""
        async with self.limiter:
            if self.repeated is not None:
                return None
            page = await self.fetch(number, self.size)
        self.requests += 1
        return page

    def keep(self, number: int, page: Page[T]) -> None:
        """A page of the walk, in page order: its items to the selection, its ids kept, the order checked."""
        ids = tuple(self.selection.key(item) for item in page.items)
        self.seen[number] = _PageSeen(ids, page.total_elements, page.shape)
        if self.renumbered is None and page.page is not None and page.page != number:
            self.renumbered = (number, page.page)
        if self.created_at is not None and self.newest_first:
            for item in page.items:
                created = _utc(self.created_at(item))
                if created is None or self.newest is None or created > self.newest:
                    self.newest_first = False  # not the order asked for (or no time to tell): check otherwise
                    break
                if number > 0 and created == self.newest:
                    self.tied = True
        self.selection.add(page.items)

    def problem(self, kind: _ProblemKind, clause: str, as_the_apis: str | None = None) -> None:
        self.problems.append(_Problem(kind, clause, as_the_apis))

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
        total = first.total_elements
        length = len(first.items)
        if total and 0 < length < total:
            per_page = length  # a first page with more to come is full: its length is the size the API used
        else:
            per_page = max(first.size or 0, length) if total is not None else length
        self.expected = max(1, math.ceil((total or 0) / per_page)) if total is not None and per_page else None
        self.keep(0, first)
        await self.progress()
        if not first.items:
            if total:
                self.problem("disagreement", f"its first page was empty where the API reported {total:,}")
        elif total is not None:
            await self.counted(total, per_page)
        else:
            await self.uncounted(per_page)
        await self.check(first, per_page)
        return self.result(first, per_page or self.size)

    async def counted(self, total: int, per_page: int) -> None:
        """The pages after the first, all at once: the first page said how many there are."""
        pages = max(1, math.ceil(total / per_page))  # a count of 0 beside items still has its page 0
        if self.selection.max_read is not None:
            pages = min(pages, math.ceil(self.selection.max_read / per_page))
        self.expected = pages
        await self.in_order(range(1, pages))
        self.compare_with_total(total, per_page, pages)
        if self.problems and self.repeated is None and not self.selection.full:
            await self.read_on(pages, per_page)

    def compare_with_total(self, total: int, per_page: int, pages: int) -> None:
        found = [self.seen[number] for number in range(pages) if number in self.seen]
        moved = sorted({page.total for page in found if page.total != total}, key=lambda value: value or 0)
        if moved:
            became = ", ".join(f"{value:,}" if value is not None else "none" for value in moved)
            self.problem("changed", f"the API's count went from {total:,} to {became}")
        if any(page.shape != found[0].shape for page in found):
            self.problem("inconsistent", "its pages came in different shapes")
        if self.repeated is not None or self.capped(total):
            return
        short = next((number for number, page in enumerate(found[:-1]) if page.length != per_page), None)
        if short is not None:
            self.problem("disagreement", f"page {short} held {_items(found[short].length)} where {per_page:,} were due")
        due = total - (pages - 1) * per_page
        if found[-1].length > due:
            self.problem(
                "disagreement",
                f"its last page (page {pages - 1}) held {_items(found[-1].length)} where the API's count leaves "
                f"{max(due, 0):,}",
            )
        elif not self.problems and self.selection.read != total:
            self.problem(
                "disagreement",
                f"its pages held {_items(self.selection.read, 'distinct ')} where the API reported {total:,}",
            )

    async def uncounted(self, per_page: int) -> None:
        """No total: pages in order, a few at a time (1, 2, 4 ... up to the concurrency), until one is shorter
        than the first, or empty, or gives again what was given before."""
        number, window = 1, 1
        while not self.selection.full and number <= self.item_budget() // per_page + 1:
            if await self.in_order(range(number, number + window), until_short=per_page):
                if self.repeated == 1 and self.seen[1].ids == self.seen[0].ids:
                    await self.does_it_page()
                return
            number += window
            window = min(window * 2, self.concurrency)
        self.cut_short = True

    async def does_it_page(self) -> None:
        """Page 1 gave page 0's items again: page 2 tells an API that ignores `page` (page 0 once more) from
        one that numbers its pages from 1 (its second page, or nothing)."""
        third = await self.read(2)
        self.unpaged = tuple(self.selection.key(item) for item in third.items) == self.seen[0].ids

    async def read_on(self, after: int, per_page: int) -> None:
        """Past the pages the total predicted, one at a time, until a page shorter than the size or empty."""
        number = after
        while not self.selection.full and number <= self.item_budget() // per_page + 1:
            if await self.in_order(range(number, number + 1), until_short=per_page):
                return
            number += 1
        self.cut_short = True

    def item_budget(self) -> int:
        return self.selection.max_read if self.selection.max_read is not None else WALK_MAX_ITEMS

    async def in_order(self, numbers: range, *, until_short: int | None = None) -> bool:
        """Read `numbers` concurrently, keeping each page in page order as soon as the pages before it are in.
        Stops keeping, and returns True, at a page whose items were all given before (the API repeats its
        pages) and, with `until_short`, at the first page shorter than that (pages after it in the same window
        must then be empty, else the list shifted)."""
        waiting: dict[int, Page[T]] = {}
        next_number = numbers.start
        stopped = False

        async def one(number: int) -> None:
            nonlocal next_number, stopped
            page = await self.read_unless_repeated(number)
            if page is None:
                return
            waiting[number] = page
            while next_number in waiting:
                current = next_number
                ready = waiting.pop(current)
                next_number += 1
                if stopped:
                    if ready.items and self.repeated is None:
                        self.problem("changed", f"page {current} held items after a shorter page")
                    continue
                if current > 0 and self.selection.given_before(ready.items):
                    self.repeated = current
                    stopped = True
                self.keep(current, ready)
                if until_short is not None and not stopped:
                    if len(ready.items) > until_short:
                        self.problem("disagreement", f"page {current} held more items than the first page")
                    stopped = len(ready.items) < until_short
            await self.progress()

        await _all_or_first_failure(one, numbers)
        return stopped

    # Checking ------------------------------------------------------------------------------------------

    async def check(self, first: Page[T], per_page: int) -> None:
        """What the pages cannot show by themselves: whether a disagreement is a change or the API's, and,
        past one page, that nothing was skipped while the list shifted."""
        if self.repeated is not None:
            if self.unpaged:
                self.problem("inconsistent", UNPAGED)
            else:
                self.problem(
                    "disagreement",
                    f"page {self.repeated} held only items of earlier pages",
                    f"the API repeated its pages (page {self.repeated} held only items it had given before, and a "
                    "second reading found the same)",
                )
        last = max(self.seen)
        if self.problems:
            kinds = {problem.kind for problem in self.problems}
            if "disagreement" in kinds and "changed" not in kinds:
                self.second_reading = await self.read_again(last)
            return
        if self.capped(first.total_elements) or last == 0 or (last == 1 and self.seen[1].length == 0):
            return  # one page is a snapshot; a walk cut short is incomplete anyway
        if first.total_elements is not None and self.newest_first:
            tied_late = self.tied and not self.newest_before(first.served_at)
            if tied_late and not await self.head_unchanged(first, per_page):
                self.problem("changed", "its newest items or its count differed after")
        elif not await self.read_again(last):
            self.problem("changed", "a second reading of its pages differed")

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

    async def head_unchanged(self, first: Page[T], per_page: int) -> bool:
        """After the walk, the newest few and the total again: the same, or the list changed under the walk."""
        asked = min(per_page, HEAD_CHECK_SIZE)
        head = await self.read(0, asked)
        ids = tuple(self.selection.key(item) for item in head.items)
        expected = self.seen[0].ids[: len(ids)]
        return (
            head.total_elements == first.total_elements and ids == expected and len(ids) >= min(asked, len(first.items))
        )

    async def read_again(self, last: int) -> bool:
        """The same pages a second time: whether they give exactly what they gave (a list that did not change
        does)."""
        again: dict[int, _PageSeen] = {}

        async def one(number: int) -> None:
            page = await self.read(number)
            again[number] = _PageSeen(
                tuple(self.selection.key(item) for item in page.items), page.total_elements, page.shape
            )

        await _all_or_first_failure(one, range(last + 1))
        return all(again[number] == self.seen[number] for number in range(last + 1))

    def reasons(self, total: int | None) -> list[tuple[IncompleteKind, str]]:
        """Why the walk is not complete, the most lasting first (a cap holds on every call, an API's
        disagreement too; a change may pass); none when it is complete."""
        changed = [problem.clause for problem in self.problems if problem.kind == "changed"]
        inconsistent = [problem.clause for problem in self.problems if problem.kind == "inconsistent"]
        disagreements = [problem for problem in self.problems if problem.kind == "disagreement"]
        if disagreements and self.second_reading:
            general = [problem.clause for problem in disagreements if not problem.as_the_apis]
            if general:
                inconsistent.append(
                    "the API's answers disagree with no sign that the list changed (a second reading found the "
                    f"same): {'; '.join(general)}"
                )
            inconsistent.extend(problem.as_the_apis for problem in disagreements if problem.as_the_apis)
        elif disagreements:  # with a change seen otherwise, or a second reading that differed
            second = ["a second reading of its pages differed"] if self.second_reading is False else []
            changed = [*(problem.clause for problem in disagreements), *changed, *second]
        reasons: list[tuple[IncompleteKind, str]] = []
        if self.capped(total):
            reasons.append(("capped", f"one walk reads at most {self.item_budget():,}"))
        if self.renumbered is not None and not self.unpaged and (reasons or inconsistent or changed):
            asked, answered = self.renumbered
            from_one = " (it may number its pages from 1)" if answered == asked + 1 else ""
            inconsistent.insert(0, f"the API answered page {answered} when asked for page {asked}{from_one}")
        reasons.extend(("inconsistent", clause) for clause in inconsistent)
        if changed:
            reasons.append(("changed", f"the list changed while it was read ({'; '.join(changed)})"))
        return reasons

    def result(self, first: Page[T], per_page: int) -> Walked:
        reasons = self.reasons(first.total_elements)
        return Walked(
            shape=first.shape,
            total=first.total_elements,
            page_size=per_page,
            requests=self.requests,
            complete=not reasons,
            why_incomplete="; ".join(clause for _, clause in reasons[:2]) if reasons else None,
            incomplete_kind=reasons[0][0] if reasons else None,
        )


def _items(count: int, kind: str = "") -> str:
    return f"{count:,} {kind}item{'' if count == 1 else 's'}"


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
