"""The paging rule and the walks that check themselves, with no server: every shape a list answer may come in,
read alike by both parsers (or refused by name), and walks over an in-memory list behind a MockTransport that
answers in any shape, under any cap, honouring the sort or not, and changing while it is walked."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import anyio
import httpx2
import pytest

from frontdoor_mcp.api.errors import UnexpectedResponse
from frontdoor_mcp.api.models import CertificateSummary
from frontdoor_mcp.api.pages import PAGE_SHAPES, Page, PageShape, UnreadablePage, page_from_json, parse_page, shape_of
from frontdoor_mcp.api.shares import Share
from frontdoor_mcp.api.walk import ALL_PAGES_CONCURRENCY, UNPAGED
from tests.support import FRONTDOOR, mock_client

pytestmark = pytest.mark.anyio

START = datetime(2026, 1, 1, tzinfo=UTC)


def item(number: int, *, created: datetime | None = None) -> dict[str, Any]:
    when = created or START + timedelta(seconds=number)
    return {
        "id": f"cert-00000000-0000-4000-8000-{number:012d}",
        "name": f"name-{number}",
        "frontdoorId": FRONTDOOR,
        "createdAt": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "createdBy": "u",
    }


def body_in(shape: PageShape, items: list[dict[str, Any]], *, number: int, size: int, total: int) -> Any:
    """A page as each shape carries it, with an unknown field or two where Spring would put some."""
    pages = -(-total // size) if size else 0
    if shape == "guide":
        return {
            "content": items,
            "pageable": {"pageNumber": number, "pageSize": size, "sort": {"sorted": True}, "offset": number * size},
            "totalElements": total,
            "totalPages": pages,
            "last": number + 1 >= pages,
            "numberOfElements": len(items),
        }
    if shape == "spring-dto":
        return {"content": items, "page": {"size": size, "number": number, "totalElements": total, "totalPages": pages}}
    if shape == "hal":
        page_info = {"size": size, "totalElements": total, "totalPages": pages, "number": number}
        body: dict[str, Any] = {"_links": {"self": {"href": "https://x.test/"}}, "page": page_info}
        if items:
            body["_embedded"] = {"clientCertificates": [{**one, "_links": {"self": {"href": "x"}}} for one in items]}
        return body
    if shape == "content-only":
        return {"content": items}
    return items


# The rule, read both ways ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", PAGE_SHAPES)
def test_every_shape_is_read_exactly_and_both_parsers_agree(shape: PageShape) -> None:
    items = [item(n) for n in range(3)]
    raw = json.dumps(body_in(shape, items, number=2, size=3, total=8)).encode()
    slow, fast = parse_page(json.loads(raw), CertificateSummary), page_from_json(raw, CertificateSummary)
    assert fast == slow
    assert slow.shape == shape and [one.id for one in slow.items] == [one["id"] for one in items]
    if shape in ("content-only", "array"):
        assert (slow.page, slow.size, slow.total_elements, slow.total_pages) == (None, None, None, None)
    else:
        assert (slow.page, slow.size, slow.total_elements, slow.total_pages) == (2, 3, 8, 3)


ALSO_READ: list[Any] = [
    {"content": [], "pageable": "INSTANCE", "totalElements": 0, "totalPages": 1},  # Spring's unpaged Page
    {"content": [item(1)], "totalElements": 1},  # the guide's totals, no pageable
    {"content": [item(1)], "totalElements": 4, "totalPages": 2, "size": 2, "number": 1},  # PageImpl's own fields
    {"content": [item(1)], "pageable": {"pageNumber": 0, "pageSize": 1}, "size": 1, "last": False},  # a Slice
    {"page": {"size": 20, "totalElements": 0, "totalPages": 0, "number": 0}},  # an empty HAL page
    {"page": {"size": 20, "total_elements": 0, "total_pages": 0, "number": 0}},
    {"_embedded": {"a": [item(1)], "b": [item(2)]}, "page": {"totalElements": 2}, "_links": {}},
    {"embedded": {"x": [item(1)]}, "page": {"size": 1, "totalElements": 0, "totalPages": 0, "number": 0}},
    {"content": [{**item(1), "extra": {"deep": [1, 2]}}], "page": {"size": 1, "totalElements": 1, "x": True}, "y": 1},
    [],
    [item(1), item(2)],
]


@pytest.mark.parametrize("body", ALSO_READ)
def test_the_plausible_variants_are_read_and_both_parsers_agree(body: Any) -> None:
    raw = json.dumps(body).encode()
    assert page_from_json(raw, CertificateSummary) == parse_page(json.loads(raw), CertificateSummary)


def test_an_unknown_key_named_like_a_field_is_just_unknown() -> None:
    """Only the wire's keys count: `embedded` is not `_embedded`, `total_elements` not `totalElements`."""
    page = parse_page({"content": [item(1)], "total_elements": 9, "embedded": {"x": [item(2)]}}, CertificateSummary)
    assert page.shape == "content-only" and page.total_elements is None and len(page.items) == 1


UNREADABLE: list[tuple[Any, str]] = [
    ({"data": [item(1)], "meta": {"count": 1}}, "no `content`, `_embedded` or `page`; top-level keys: data, meta"),
    ({"_embedded": {"x": []}, "content": [], "page": {"totalElements": 0}}, "both `_embedded` and `content`"),
    ({"_embedded": {"x": [item(1)]}}, "`_embedded` without `page`; top-level keys: _embedded"),
    ({"content": [], "page": {"totalElements": 0}, "totalElements": 0}, "both `page` and `totalElements`"),
    ({"content": [], "totalPages": 1}, "paging fields that do not fit the guide shape; top-level keys: content"),
    ({"content": "nope"}, "do not fit the content-only shape"),
    ({"content": [], "page": 3}, "do not fit the spring-dto shape"),
    ({"_embedded": None, "page": {"totalElements": 0}}, "do not fit the hal shape"),
    ({"content": None}, "do not fit the content-only shape"),
    ({}, "an empty object"),
    ("a string", "a JSON str, neither an object nor an array"),
    (7, "a JSON int, neither an object nor an array"),
    # Paging fields are integers, strictly: `true` is no count of 1, nor "10" or 10.0 one of 10.
    ({"content": [item(1)], "totalElements": True}, "do not fit the guide shape"),
    ({"content": [item(1)], "totalElements": "10", "totalPages": 4}, "do not fit the guide shape"),
    ({"content": [item(1)], "totalElements": 10.0}, "do not fit the guide shape"),
    ({"content": [], "page": {"totalElements": False}}, "do not fit the spring-dto shape"),
    ({"content": [], "pageable": {"pageNumber": True, "pageSize": 1}}, "do not fit the content-only shape"),
    ({"page": {"totalElements": 1, "number": "0"}}, "do not fit the hal shape"),
]


@pytest.mark.parametrize(("body", "said"), UNREADABLE)
def test_a_shape_that_cannot_be_read_is_an_error_naming_what_was_found(body: Any, said: str) -> None:
    with pytest.raises(UnreadablePage) as caught:
        parse_page(body, CertificateSummary)
    assert said in str(caught.value)
    with pytest.raises(ValueError, match=r"."):  # the fast path leaves it to the slow one, which says what is wrong
        page_from_json(json.dumps(body).encode(), CertificateSummary)


def test_the_error_names_keys_never_values_escaped_and_capped() -> None:
    secret = "sbx_the-value-must-not-show"
    body = {f"k{n:02d}": secret for n in range(14)} | {"bad\u202ekey\x1b[31m" + "x" * 80: secret}
    message = str(shape_of_error(body))
    assert secret not in message and "\u202e" not in message and "\x1b" not in message
    assert "k00, k01" in message and "and 3 more" in message
    assert "x" * 40 not in message and "…" in message


def shape_of_error(body: dict[str, Any]) -> UnreadablePage:
    try:
        shape_of(body.keys())
    except UnreadablePage as exc:
        return exc
    raise AssertionError("read")


async def test_the_client_reports_the_keys_it_found() -> None:
    body = json.dumps({"data": [], "links": {}}).encode()
    client = mock_client(lambda _: httpx2.Response(200, content=body, headers={"content-type": "application/json"}))
    with pytest.raises(UnexpectedResponse) as caught:
        await client.certificates.list(FRONTDOOR)
    assert caught.value.reason == (
        "a list in an undocumented shape (no `content`, `_embedded` or `page`; top-level keys: data, links)"
    )


def test_shares_and_tokens_read_by_the_same_rule() -> None:
    share = {"zId": "shr-1", "name": "s1"}
    for body in ({"content": [share]}, [share], {"content": [share], "page": {"totalElements": 1}}):
        raw = json.dumps(body).encode()
        page: Page[Share] = page_from_json(raw, Share)
        assert page == parse_page(json.loads(raw), Share) and page.items[0].id == "shr-1"


# The walk, over a list behind a MockTransport -----------------------------------------------------------------


@dataclass
class ListServer:
    """A certificate list in memory (oldest first), served in `shape`, at most `cap` a page; newest first when
    asked `sort=createdAt,desc` (unless `honours_sort` is off). `before` runs before each list request is
    answered (page number, requests so far), to change the list under the walk."""

    count: int
    shape: PageShape = "guide"
    cap: int = 2000
    honours_sort: bool = True
    reported_size: int | None = None
    """A size to report instead of the one used (an API that misreports it)."""
    reported_total: Callable[[int], int] | None = None
    before: Callable[[ListServer, int, int], None] | None = None
    same_second: bool = False
    """Every item created in the same second (a bulk import): the newest cannot be told from the rest by time."""
    served_at: datetime | None = None
    """The `Date` its answers carry, if any."""
    unpaged: bool = False
    """Every page answered with the whole list, whatever `page` and `size` say (an API without paging)."""
    from_one: bool = False
    """Pages numbered from 1, as Spring's one-indexed parameters: page 0 and page 1 are both the first."""
    items: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    asked: list[tuple[int, int, str | None]] = field(default_factory=list[tuple[int, int, str | None]])
    made: int = 0

    def __post_init__(self) -> None:
        self.items = [self.new(n) for n in range(self.count)]
        self.made = self.count

    def new(self, number: int) -> dict[str, Any]:
        return item(number, created=START) if self.same_second else item(number)

    def create(self) -> dict[str, Any]:
        created = self.new(self.made)
        self.made += 1
        self.items.append(created)
        return created

    def ordered(self, sort: str | None) -> list[dict[str, Any]]:
        return list(reversed(self.items)) if sort == "createdAt,desc" and self.honours_sort else list(self.items)

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        number, asked = int(request.url.params["page"]), int(request.url.params["size"])
        sort = request.url.params.get("sort")
        if self.before is not None:
            self.before(self, number, len(self.asked))
        self.asked.append((number, asked, sort))
        size = min(asked, self.cap)
        index = max(number - 1, 0) if self.from_one else number
        ordered = self.ordered(sort)
        chunk = ordered if self.unpaged else ordered[index * size : (index + 1) * size]
        total = self.reported_total(len(self.items)) if self.reported_total else len(self.items)
        shown = index + 1 if self.from_one else number
        body = body_in(self.shape, chunk, number=shown, size=self.reported_size or size, total=total)
        headers = {"content-type": "application/json"}
        if self.served_at is not None:
            headers["date"] = format_datetime(self.served_at, usegmt=True)
        return httpx2.Response(200, content=json.dumps(body).encode(), headers=headers)

    def ids(self) -> set[str]:
        return {one["id"] for one in self.items}


async def walk(server: ListServer, **options: Any) -> tuple[list[CertificateSummary], Any]:
    return await mock_client(server.handler).certificates.list_all(FRONTDOOR, **options)


@pytest.mark.parametrize("shape", PAGE_SHAPES)
@pytest.mark.parametrize("cap", [7, 2000])
async def test_every_shape_and_cap_walks_to_the_end_and_shows_it(shape: PageShape, cap: int) -> None:
    server = ListServer(30, shape=shape, cap=cap)
    items, walked = await walk(server)
    assert [one.id for one in items] == [one["id"] for one in reversed(server.items)], "each once, newest first"
    assert walked.complete and walked.why_incomplete is None and walked.shape == shape
    assert walked.total == (30 if shape in ("guide", "spring-dto", "hal") else None)
    assert walked.page_size == min(cap, 2000 if shape in ("guide", "spring-dto", "hal") else 30)
    pages = [number for number, _, _ in server.asked]
    if shape in ("guide", "spring-dto", "hal"):
        # The pages the total says, and no more: every item after the first page is older than its newest.
        assert pages == ([0] if cap == 2000 else [0, 1, 2, 3, 4])
    else:
        # In order until a short page (1, then 2 ... at a time), then, past one page, the same pages again.
        assert pages == ([0, 1] if cap == 2000 else [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4])
    assert all(sort == "createdAt,desc" for _, _, sort in server.asked)


async def test_the_size_the_api_used_is_read_from_the_answer_even_when_it_misreports_it() -> None:
    server = ListServer(25, cap=10, reported_size=2000)  # serves 10 a page, says 2000
    items, walked = await walk(server)
    assert len(items) == 25 and walked.complete and walked.page_size == 10


async def test_an_empty_list_and_a_one_page_list_cost_one_request() -> None:
    for count in (0, 5):
        server = ListServer(count)
        items, walked = await walk(server)
        assert len(items) == count and walked.complete and walked.requests == len(server.asked) == 1


async def test_a_last_page_fuller_than_the_total_says_is_read_past_and_said() -> None:
    server = ListServer(25, cap=10, reported_total=lambda real: real - 3)  # the API counts 22 of 25
    items, walked = await walk(server)
    assert len(items) == 25, "read on past the pages the total predicted, to a short page"
    assert not walked.complete and walked.incomplete_kind == "inconsistent"
    assert walked.why_incomplete == (
        "the API's answers disagree with no sign that the list changed (a second reading found the same): its last "
        "page (page 2) held 5 items where the API's count leaves 2"
    )
    assert [number for number, _, _ in server.asked] == [0, 1, 2, 3, 0, 1, 2, 3], "to a short page, then again"


async def test_a_count_of_0_beside_items_is_read_on_and_said() -> None:
    """A count that lags its pages (a cached count): 0, with items on the first page. One page is still read."""
    server = ListServer(3, reported_total=lambda _: 0)
    items, walked = await walk(server)
    assert len(items) == 3 and walked.total == 0 and not walked.complete
    assert walked.incomplete_kind == "inconsistent"
    assert (walked.why_incomplete or "").endswith("its last page (page 0) held 3 items where the API's count leaves 0")


async def test_a_total_that_moves_while_walking_is_said() -> None:
    def shrink(list_server: ListServer, number: int, _: int) -> None:
        if number == 2:
            list_server.items.pop(0)  # the oldest goes, no create to hide it

    server = ListServer(25, cap=10, before=shrink)
    items, walked = await walk(server, concurrency=1)
    assert not walked.complete and walked.incomplete_kind == "changed"
    assert walked.why_incomplete == "the list changed while it was read (the API's count went from 25 to 24)"
    assert {one.id for one in items} >= server.ids()


async def test_fewer_distinct_items_than_reported_with_no_sign_of_change_is_the_apis_disagreement() -> None:
    """An API that counts rows its pages leave out (soft-deleted ones, say): every call finds the same, so the walk
    says so, and not that the list changed."""
    server = ListServer(20, cap=10, reported_total=lambda real: real + 3)
    items, walked = await walk(server)
    assert len(items) == 20 and not walked.complete and walked.incomplete_kind == "inconsistent"
    assert walked.why_incomplete == (
        "the API's answers disagree with no sign that the list changed (a second reading found the same): its pages "
        "held 20 distinct items where the API reported 23"
    )


async def test_a_disagreement_whose_second_reading_differs_is_a_change() -> None:
    def create_during_the_second_reading(list_server: ListServer, number: int, asked: int) -> None:
        if asked == 4:
            list_server.create()

    server = ListServer(20, cap=10, reported_total=lambda real: real + 3, before=create_during_the_second_reading)
    _, walked = await walk(server, concurrency=1)
    assert not walked.complete and walked.incomplete_kind == "changed"
    assert walked.why_incomplete == (
        "the list changed while it was read (its pages held 20 distinct items where the API reported 23; a second "
        "reading of its pages differed)"
    )


async def test_a_page_that_gives_only_items_given_before_stops_the_walk_and_is_said() -> None:
    server = ListServer(20, cap=10)
    original = server.handler

    def repeating(request: httpx2.Request) -> httpx2.Response:
        if request.url.params["page"] == "1":  # page 1 answers page 0 again (and says so), totals intact
            request = httpx2.Request("GET", request.url.copy_set_param("page", "0"))
        return original(request)

    items, walked = await mock_client(repeating).certificates.list_all(FRONTDOOR)
    assert len(items) == 10 and not walked.complete and walked.incomplete_kind == "inconsistent"
    assert walked.why_incomplete == (
        "the API answered page 0 when asked for page 1; the API repeated its pages (page 1 held only items it had "
        "given before, and a second reading found the same)"
    )


@pytest.mark.parametrize("shape", ["content-only", "array"])
async def test_an_api_that_does_not_page_is_read_as_one_list_in_three_requests_and_said(shape: PageShape) -> None:
    """Page 1 and page 2 both give page 0's items: the API ignores `page`. Its one answer is read as the list, and
    the walk says it cannot show that answer whole (an API that cuts it at a limit of its own looks the same)."""
    server = ListServer(30, shape=shape, unpaged=True)
    items, walked = await walk(server)
    assert len(items) == 30 and [number for number, _, _ in server.asked] == [0, 1, 2]
    assert not walked.complete and walked.incomplete_kind == "inconsistent" and walked.why_incomplete == UNPAGED


async def test_an_api_that_does_not_page_with_totals_that_agree_is_one_complete_page() -> None:
    server = ListServer(30, unpaged=True)
    items, walked = await walk(server)
    assert len(items) == 30 and walked.complete and len(server.asked) == 1


async def test_an_api_that_does_not_page_but_counts_more_stops_at_the_first_repeat() -> None:
    server = ListServer(30, unpaged=True, reported_total=lambda real: real * 100)
    items, walked = await walk(server)
    assert len(items) == 30 and not walked.complete and walked.incomplete_kind == "inconsistent"
    assert "the API repeated its pages (page 1 held only items it had given before" in (walked.why_incomplete or "")
    # Not the hundred pages the count predicts: those already asked for when page 1 came back, then 0 and 1 again.
    assert len(server.asked) <= 1 + 2 * ALL_PAGES_CONCURRENCY + 2


@pytest.mark.parametrize("shape", ["guide", "spring-dto", "hal", "content-only"])
async def test_an_api_that_numbers_its_pages_from_1_is_said_and_never_taken_for_complete(shape: PageShape) -> None:
    server = ListServer(250, shape=shape, cap=100, from_one=True)
    items, walked = await walk(server)
    why = walked.why_incomplete or ""
    assert len(items) == 100 and not walked.complete and walked.incomplete_kind == "inconsistent"
    assert why.endswith(
        "the API repeated its pages (page 1 held only items it had given before, and a second reading found the same)"
    )
    if shape != "content-only":  # the shapes that say which page they are
        assert why.startswith("the API answered page 1 when asked for page 0 (it may number its pages from 1); ")
    assert len(server.asked) <= 5, "pages 0 to 2 (page 2 unless page 1 was found repeating first), then 0 and 1"


async def test_items_as_new_as_the_newest_after_the_first_page_need_a_read_of_the_head() -> None:
    server = ListServer(30, cap=10, same_second=True)
    items, walked = await walk(server)
    assert len(items) == 30 and walked.complete
    pages = [(number, 2000, "createdAt,desc") for number in range(3)]
    assert server.asked == [*pages, (0, 10, "createdAt,desc")], "the pages, then the newest ten again"


@pytest.mark.parametrize(("served_after", "reads_head"), [(7, False), (6, True), (0, True)])
async def test_items_created_in_one_second_well_before_the_walk_need_no_read_of_the_head(
    served_after: int, reads_head: bool
) -> None:
    """Created in one second, but more than STAMP_SKEW_S and a second before the first page was served (its Date):
    anything created during the walk is newer than the newest, so the times alone still show the walk whole."""
    server = ListServer(30, cap=10, same_second=True, served_at=START + timedelta(seconds=served_after))
    items, walked = await walk(server)
    assert len(items) == 30 and walked.complete
    assert len(server.asked) == (4 if reads_head else 3)


async def test_a_new_item_seen_at_the_head_after_the_walk_makes_it_incomplete_though_every_count_agrees() -> None:
    """Every page agrees with the total and every item is distinct; the items were created in one second, so
    time cannot tell a new one from the rest: only the read of the head after the walk shows that something was
    created (and something else deleted) while the pages were read."""

    def churn(list_server: ListServer, number: int, asked: int) -> None:
        if number == 0 and asked > 0:  # just before the head is read again
            list_server.items.pop(0)
            list_server.create()

    server = ListServer(30, cap=10, before=churn, same_second=True)
    items, walked = await walk(server)
    assert len(items) == 30 and walked.total == 30
    assert not walked.complete
    assert walked.why_incomplete == "the list changed while it was read (its newest items or its count differed after)"


async def test_a_create_read_after_the_first_page_is_newer_than_its_newest_and_sends_the_walk_to_a_second_read() -> (
    None
):
    """After the first page, its ten items and the next are deleted and eleven created: one create reaches the
    second page (and is read), and every count agrees. It is newer than the first page's newest, so the walk
    does not trust the counts alone."""

    def churn(list_server: ListServer, number: int, asked: int) -> None:
        if asked == 1:
            del list_server.items[-11:]
            for _ in range(11):
                list_server.create()

    server = ListServer(30, cap=10, before=churn)
    items, walked = await walk(server, concurrency=1)
    assert len(items) == 30 and walked.total == 30
    assert not walked.complete and "a second reading of its pages differed" in (walked.why_incomplete or "")


async def test_a_create_and_a_delete_during_a_walk_are_caught_in_every_shape() -> None:
    for shape in PAGE_SHAPES:

        def churn(list_server: ListServer, number: int, asked: int) -> None:
            if asked == 2:  # after the first page and one more
                list_server.items.pop(len(list_server.items) // 2)
                list_server.create()

        server = ListServer(45, shape=shape, cap=10, before=churn)
        items, walked = await walk(server)
        assert not walked.complete, shape
        assert "the list changed while it was read" in (walked.why_incomplete or ""), shape
        assert {one.id for one in items} <= server.ids() | {item(n)["id"] for n in range(45)}, "nothing invented"


async def test_an_api_that_does_not_sort_as_asked_is_checked_by_a_second_reading() -> None:
    server = ListServer(25, cap=10, honours_sort=False)
    items, walked = await walk(server)
    assert len(items) == 25 and walked.complete
    assert [number for number, _, _ in server.asked] == [0, 1, 2, 0, 1, 2], "all three pages, twice"


async def test_an_asked_order_is_checked_by_a_second_reading() -> None:
    server = ListServer(25, cap=10)
    items, walked = await walk(server, sort="name,asc")
    assert len(items) == 25 and walked.complete and len(server.asked) == 6


async def test_the_most_one_walk_reads_is_said() -> None:
    shapes: tuple[PageShape, ...] = ("guide", "array")
    for shape in shapes:
        server = ListServer(25, shape=shape, cap=10)
        items, walked = await walk(server, max_items=12)
        assert len(items) == 12 and not walked.complete and walked.incomplete_kind == "capped"
        assert walked.why_incomplete == "one walk reads at most 12", shape


@pytest.mark.parametrize(
    ("shape", "expected"),
    [("guide", [(1, 3), (2, 3), (3, 3)]), ("array", [(1, None), (2, None), (3, None), (4, None)])],
)
async def test_progress_counts_pages_with_a_total_only_when_there_is_one(
    shape: PageShape, expected: list[tuple[int, int | None]]
) -> None:
    seen: list[tuple[int, int | None]] = []

    async def on_progress(done: int, total: int | None) -> None:
        seen.append((done, total))

    server = ListServer(25, shape=shape, cap=10)
    await mock_client(server.handler).certificates.list_all(FRONTDOOR, on_progress=on_progress)
    assert seen == expected


async def test_pages_arriving_out_of_order_are_still_handed_on_in_order() -> None:
    server = ListServer(50, cap=10)

    async def late_first(request: httpx2.Request) -> httpx2.Response:
        if request.url.params["page"] == "1":
            await anyio.sleep(0.05)
        return server.handler(request)

    items, walked = await mock_client(late_first).certificates.list_all(FRONTDOOR)
    assert [one.id for one in items] == [one["id"] for one in reversed(server.items)] and walked.complete


# One page read alone: where it stands -----------------------------------------------------------------------


def page_of(count: int, *, number: int | None = None, size: int | None = None, total: int | None = None) -> Page[Any]:
    pages = None if total is None or not size else -(-total // size)
    return Page([object()] * count, "guide" if total is not None else "content-only", number, size, total, pages)


@pytest.mark.parametrize(
    ("page", "asked", "expected"),
    [
        (page_of(20, number=0, size=20, total=45), (0, 20), (0, 3, 1, ())),
        (page_of(5, number=2, size=20, total=45), (2, 20), (2, 3, None, ())),
        (page_of(20), (0, 20), (0, None, 1, ())),  # full, without totals: another may follow
        (page_of(0), (3, 20), (3, None, None, ())),
        (page_of(7, size=20), (1, 20), (1, None, None, ())),  # shorter than the size it reports: the last
        (
            page_of(7),
            (1, 20),
            (
                1,
                None,
                None,
                (
                    "the API reports no total and no page size, so this page, shorter than asked, is taken as the "
                    "last; all_pages says whether it is",
                ),
            ),
        ),
        (
            page_of(30),
            (0, 20),
            (
                0,
                None,
                None,
                (
                    "the API answered 30 items for a size of 20: it may not page at all; all_pages reads the list "
                    "and says whether it is complete",
                ),
            ),
        ),
        (
            page_of(20, number=1, size=20, total=45),
            (0, 20),
            (0, 3, 1, ("the API answered page=1 when asked for page=0 (it may number its pages from 1)",)),
        ),
    ],
)
def test_a_page_read_alone_offers_a_next_page_only_when_its_answer_shows_one(
    page: Page[Any], asked: tuple[int, int], expected: tuple[int, int | None, int | None, tuple[str, ...]]
) -> None:
    place = page.place(*asked)
    assert (place.number, place.total_pages, place.next_page, place.notes) == expected
