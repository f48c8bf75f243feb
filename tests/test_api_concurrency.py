"""Reading many certificates at once: the adaptive limit (grow while healthy, halve once per round on 429 or
503, a floor and a cap, Retry-After holding back every new request), how it hears every answer through the
HTTP layer (a 429 that a retry then gets past included), and the walk that keeps only what its caller needs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

from frontdoor_mcp.api.auth import BearerToken, Secret
from frontdoor_mcp.api.client import FrontdoorClient
from frontdoor_mcp.api.concurrency import CAUTIOUS_WINDOWS, MAX_PAUSE_S, AdaptiveConcurrency
from frontdoor_mcp.api.errors import ApiCall, FrontdoorError, NotFound, ServerError, UnexpectedResponse
from frontdoor_mcp.api.models import Certificate, CertificateSummary
from frontdoor_mcp.api.pages import page_from_json, parse_page
from frontdoor_mcp.api.walk import Selection, fetch_each
from frontdoor_mcp.sandbox.faults.controller import Fault
from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.toolkit.state import AppState
from frontdoor_mcp.tools.expiry import find_expiring_client_certificates
from tests.clocks import ManualClock
from tests.support import (
    CERT,
    FRONTDOOR,
    Sleeps,
    certificate_item,
    certificate_page,
    json_response,
    make_certificate,
    mock_client,
)

pytestmark = pytest.mark.anyio


def healthy(limit: AdaptiveConcurrency, answers: int) -> None:
    for _ in range(answers):
        limit.observe(limit.begin(), 200)


# The bookkeeping, fed answers ----------------------------------------------------------------------------


def test_it_grows_by_one_per_window_of_healthy_answers_up_to_the_cap() -> None:
    limit = AdaptiveConcurrency(initial=4, maximum=6)
    healthy(limit, 3)
    assert limit.limit == 4
    healthy(limit, 1)
    assert limit.limit == 5, "four healthy answers in a row at a limit of four: one more"
    healthy(limit, 5)
    assert limit.limit == 6
    healthy(limit, 100)
    assert limit.limit == 6, "never past the cap"


def test_a_404_is_healthy_and_a_500_stops_growth_without_halving() -> None:
    limit = AdaptiveConcurrency(initial=4, maximum=8)
    healthy(limit, 3)
    limit.observe(limit.begin(), 500)
    healthy(limit, 3)
    assert limit.limit == 4, "the 500 restarted the run of healthy answers"
    for _ in range(4):
        limit.observe(limit.begin(), 404)
    assert limit.limit == 5


@pytest.mark.parametrize("status", [429, 503])
def test_it_halves_once_per_round(status: int) -> None:
    limit = AdaptiveConcurrency(initial=16, maximum=64)
    in_flight = [limit.begin() for _ in range(16)]
    limit.observe(in_flight[0], status)
    assert limit.limit == 8
    for number in in_flight[1:]:
        limit.observe(number, status)
    assert limit.limit == 8, "the others were in flight when it halved: they say nothing new"
    later = limit.begin()
    limit.observe(later, status)
    assert limit.limit == 4, "a request begun after the halving is a new round"


def test_after_a_push_back_it_grows_more_slowly() -> None:
    limit = AdaptiveConcurrency(initial=8, maximum=16)
    limit.observe(limit.begin(), 429)
    assert limit.limit == 4
    healthy(limit, 4 * CAUTIOUS_WINDOWS - 1)
    assert limit.limit == 4
    healthy(limit, 1)
    assert limit.limit == 5, "one step per CAUTIOUS_WINDOWS windows of healthy answers"


def test_it_never_goes_below_the_floor() -> None:
    limit = AdaptiveConcurrency(initial=4, maximum=8, minimum=1)
    for _ in range(10):
        limit.observe(limit.begin(), 429)
    assert limit.limit == 1
    healthy(limit, CAUTIOUS_WINDOWS)
    assert limit.limit == 2, "and grows again from there"


def test_in_flight_is_counted_and_may_start_follows_it() -> None:
    limit = AdaptiveConcurrency(initial=2, maximum=4)
    first, second = limit.begin(), limit.begin()
    assert limit.in_flight == 2 and not limit.may_start()
    limit.end(first)
    assert limit.in_flight == 1 and limit.may_start()
    limit.end(second)


def test_retry_after_holds_back_every_new_request_until_then() -> None:
    clock = ManualClock(1000.0)
    limit = AdaptiveConcurrency(initial=8, maximum=8, clock=clock)
    number = limit.begin()
    limit.observe(number, 429, 2.0)
    limit.end(number)
    assert not limit.may_start() and limit.resume_at == clock.now + 2.0
    limit.observe(limit.begin(), 503, 1.0)
    assert limit.resume_at == clock.now + 2.0, "a shorter Retry-After does not shorten the pause"
    clock.now += 2.0
    assert limit.may_start()
    limit.observe(limit.begin(), 429, 3600.0)
    assert limit.resume_at == clock.now + MAX_PAUSE_S, "capped: the retry policy fails such a call anyway"


def test_a_429_without_retry_after_halves_without_pausing() -> None:
    limit = AdaptiveConcurrency(initial=8, maximum=8, clock=ManualClock(1000.0))
    limit.observe(limit.begin(), 429)
    assert limit.limit == 4 and limit.resume_at == -math.inf


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="minimum <= initial <= maximum"):
        AdaptiveConcurrency(initial=70, maximum=64)
    with pytest.raises(ValueError, match="minimum <= initial <= maximum"):
        AdaptiveConcurrency(initial=4, minimum=0)


# The gate --------------------------------------------------------------------------------------------------


async def test_slots_keep_at_most_the_limit_in_flight() -> None:
    limit = AdaptiveConcurrency(initial=3, maximum=3)
    most = 0
    release = anyio.Event()

    async def hold() -> None:
        nonlocal most
        async with limit.slot():
            most = max(most, limit.in_flight)
            await release.wait()

    async with anyio.create_task_group() as group:
        for _ in range(7):
            group.start_soon(hold)
        await anyio.wait_all_tasks_blocked()
        assert limit.in_flight == 3
        release.set()
    assert most == 3 and limit.in_flight == 0


async def test_a_new_slot_waits_out_the_retry_after() -> None:
    clock = ManualClock(1000.0)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    limit = AdaptiveConcurrency(initial=4, maximum=4, clock=clock, sleep=sleep)
    async with limit.slot() as observe:
        observe(429, 1.5)
    async with limit.slot():
        pass
    assert slept == [1.5]


# The seam: the HTTP layer tells the limit of every answer ------------------------------------------------


def _certificate_body(cert_id: str) -> dict[str, Any]:
    return {**certificate_item(cert_id), "value": make_certificate("seam")}


async def test_the_limit_hears_a_429_even_when_the_retry_gets_through() -> None:
    refused: set[str] = set()

    def handler(request: httpx2.Request) -> httpx2.Response:
        cert_id = request.url.path.rsplit("/", 1)[-1]
        if cert_id.endswith("0") and cert_id not in refused:
            refused.add(cert_id)
            return json_response(429, {"error": "slow down"}, {"retry-after": "1"})
        return json_response(200, _certificate_body(cert_id))

    sleeps = Sleeps()
    client = mock_client(handler, sleeps=sleeps)
    ids = [f"cert-123e4567-e89b-12d3-a456-4266141740{n:02d}" for n in range(40)]
    clock = ManualClock(1000.0)

    async def pause(seconds: float) -> None:
        clock.now += seconds

    limit = AdaptiveConcurrency(initial=16, maximum=16, clock=clock, sleep=pause)
    outcomes: dict[str, Certificate | FrontdoorError] = {}

    async def on_each(cert_id: str, outcome: Certificate | FrontdoorError) -> None:
        outcomes[cert_id] = outcome

    await client.certificates.get_each(FRONTDOOR, ids, on_each, concurrency=limit)
    assert all(isinstance(outcome, Certificate) for outcome in outcomes.values()) and len(outcomes) == 40
    assert refused and sleeps.calls == [1.0] * len(refused), "each refused read retried after its Retry-After"
    assert limit.limit < 16, "the 429s were heard although every retry succeeded"
    assert clock.now >= 1001.0, "new reads were held back for the Retry-After"


async def test_fetch_each_hands_every_outcome_on_and_raises_what_on_each_raises() -> None:
    async def fetch(key: str, observe: Any) -> str:
        observe(200, None)
        if key == "gone":
            raise NotFound(
                ApiCall("GET", f"/frontdoor/x/client-certificates/{key}"), status_code=404, error=None, message=None
            )
        return key.upper()

    seen: dict[str, str | FrontdoorError] = {}

    async def on_each(key: str, outcome: str | FrontdoorError) -> None:
        seen[key] = outcome

    await fetch_each(["a", "gone", "b"], fetch, on_each)
    assert seen["a"] == "A" and seen["b"] == "B" and isinstance(seen["gone"], NotFound)

    async def fail_on_error(key: str, outcome: str | FrontdoorError) -> None:
        if isinstance(outcome, FrontdoorError):
            raise outcome

    with pytest.raises(NotFound):  # the first failure as itself, not inside an ExceptionGroup
        await fetch_each(["a", "gone", "b"], fetch, fail_on_error)


# The walk and the pages ------------------------------------------------------------------------------------


def _numbered(count: int) -> list[dict[str, Any]]:
    return [certificate_item(f"cert-123e4567-e89b-12d3-a456-42661417{n:04d}", f"name-{n}") for n in range(count)]


async def test_a_walk_keeps_the_first_that_match_and_counts_them_all() -> None:
    items = _numbered(10)
    pages = [items[0:4], items[3:7], items[7:10]]  # the list shifted: item 3 is on two pages

    def handler(request: httpx2.Request) -> httpx2.Response:
        number = int(request.url.params["page"])
        body = certificate_page(pages[number] if number < len(pages) else [], number=number, total_pages=3)
        body["pageable"]["pageSize"] = 4
        body["totalElements"] = 10
        return json_response(200, body)

    client = mock_client(handler)
    odd = {f"name-{n}" for n in range(1, 10, 2)}
    selection, walked = await client.certificates.walk(FRONTDOOR, match=lambda s: s.name in odd, keep=3)
    assert walked.total == 10 and selection.read == 10 and selection.matched == 5
    assert [s.name for s in selection.items] == ["name-1", "name-3", "name-5"]
    # Its last page held more than the total left for it: the walk read on to an empty page, read the pages a
    # second time (the same: the API's own disagreement, not a change), and says so.
    assert not walked.complete and walked.incomplete_kind == "inconsistent"
    assert walked.why_incomplete == (
        "the API's answers disagree with no sign that the list changed (a second reading found the same): its last "
        "page (page 2) held 3 items where the API's count leaves 2"
    )
    assert walked.requests == 8
    # At most 8: the two pages that would hold them give 7 (the item they share is kept once), so the walk reads
    # on to the eighth, and says it stopped there.
    everything, capped = await client.certificates.list_all(FRONTDOOR, max_items=8)
    assert [s.name for s in everything] == [f"name-{n}" for n in range(8)]
    assert not capped.complete and (capped.why_incomplete or "").startswith("one walk reads at most 8")


def test_a_selection_takes_pages_in_order() -> None:
    selection = Selection[str](lambda item: item, keep=2, max_read=4)
    selection.add(["a", "b"])
    selection.add(["b", "c", "d", "e"])
    assert selection.items == ["a", "b"] and selection.read == 4 and selection.matched == 4


_HAL_PAGE: dict[str, Any] = {"size": 2, "totalElements": 5, "totalPages": 3, "number": 1}
BODIES: list[dict[str, Any]] = [
    certificate_page(_numbered(3)),
    {"content": _numbered(2)},  # no paging fields: one whole page
    {"_embedded": {"clientCertificates": _numbered(2)}, "page": _HAL_PAGE},
    {"page": {"size": 20, "total_elements": 0, "total_pages": 0, "number": 0}},
    {"embedded": {"x": []}, "page": {"size": 1, "totalElements": 0, "totalPages": 0, "number": 0}},
    {"content": _numbered(1), "total_elements": 7, "totalElements": 1, "hal_embedded": {"x": []}},
    {"content": [{**certificate_item(), "name": "evil\u202ename\x1b[31m" + "x" * 500}], "totalElements": 1},
]


@pytest.mark.parametrize("body", BODIES)
def test_a_page_read_from_its_bytes_is_the_page_read_from_its_json(body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    fast, slow = page_from_json(raw, CertificateSummary), parse_page(json.loads(raw), CertificateSummary)
    assert fast == slow


@pytest.mark.parametrize(
    "raw",
    [
        b'{"_embedded": null, "page": {"size": 1, "totalElements": 0, "totalPages": 0, "number": 0}}',
        b'{"_embedded": {"x": []}, "content": [], "page": {"size": 1, "totalElements": 0, "number": 0}}',
        b'{"content": null}',
        b'{"_embedded": {"x": []}}',
        b'[{"id": "cert-1"}]',
        b'\xef\xbb\xbf{"content": []}',
    ],
)
def test_a_page_the_bytes_cannot_settle_is_left_to_the_json_path(raw: bytes) -> None:
    with pytest.raises(ValueError, match=r"."):  # a pydantic ValidationError is a ValueError too
        page_from_json(raw, CertificateSummary)


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"<html>busy</html>", "text/html", "an HTML page instead of JSON"),
        (b'{"content": [', "application/json", "a body that is not valid JSON"),
        (b"", "application/json", "an empty body"),
        (
            b'{"content": "nope"}',
            "application/json",
            "a list in an undocumented shape (paging fields that do not fit the content-only shape; "
            "top-level keys: content)",
        ),
        (b'{"content": [{"id": "cert-1"}], "totalElements": 1}', "application/json", "a list in an undocumented shape"),
    ],
)
async def test_an_unreadable_page_is_reported_as_before(body: bytes, content_type: str, reason: str) -> None:
    client = mock_client(lambda request: httpx2.Response(200, content=body, headers={"content-type": content_type}))
    with pytest.raises(UnexpectedResponse) as caught:
        await client.certificates.list(FRONTDOOR)
    assert caught.value.reason == reason


async def test_a_certificate_with_a_bom_is_still_read() -> None:
    body = b"\xef\xbb\xbf" + json.dumps(_certificate_body(CERT)).encode()
    client = mock_client(
        lambda request: httpx2.Response(200, content=body, headers={"content-type": "application/json"})
    )
    assert (await client.certificates.get(FRONTDOOR, CERT)).id == CERT


# Against the sandbox: an audit under a rate limit -----------------------------------------------------------


async def test_an_audit_under_a_rate_limit_audits_everything_and_fails_nothing(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    count = 300
    sandbox.seed_certificates(count, value=make_certificate("limited", days=200), name_prefix="limited")
    # 16 reads start at once, and 10 ms apart the burst of 8 is spent: some are answered 429 with Retry-After 1.
    # Halved to 8 and held back a second, the reads then stay under the rate (8 per 10 ms, 800/s < 2,000/s).
    sandbox.faults.add(Fault(kind="latency", latency_s=0.01, method="GET", path_contains="/cert-", times=None))
    sandbox.faults.add(Fault(kind="rate_limit", rate_per_s=2000, burst=8, path_contains="/cert-", times=None))
    async with FrontdoorClient(sandbox.base_url, BearerToken(Secret(sandbox.token), source="test")) as client:
        state = AppState(client, sandbox.frontdoor_id, None, "test")
        seen: list[int] = []

        class Recorder:
            async def progress(self, done: int, total: int | None, message: str) -> None:
                seen.append(done)

            async def log(self, level: Any, message: str) -> None:
                return None

        answer = await find_expiring_client_certificates(state, Recorder())
    report = answer.result
    assert report.checked == count and report.undecodable_count == 0 and not report.walk_truncated
    reads = [r for r in sandbox.faults.requests if "/cert-" in r.path]
    refused = sum(1 for r in reads if r.status == 429)
    assert refused > 0, "the rate limit was met"
    assert len(reads) == count + refused and all(r.status in (200, 429) for r in reads)
    assert seen == list(range(1, count + 1)), "progress strictly increasing, to the end"


async def test_a_server_error_fails_the_reads_as_itself(sandbox: RunningSandbox) -> None:
    sandbox.seed_certificates(20, name_prefix="some")
    sandbox.faults.add(Fault(kind="status", status=500, method="GET", path_contains="/cert-", times=None))

    async def fail_on_error(cert_id: str, outcome: Certificate | FrontdoorError) -> None:
        if isinstance(outcome, FrontdoorError):
            raise outcome

    async with FrontdoorClient(sandbox.base_url, BearerToken(Secret(sandbox.token), source="test")) as client:
        listed, _ = await client.certificates.list_all(sandbox.frontdoor_id)
        with pytest.raises(ServerError):
            await client.certificates.get_each(sandbox.frontdoor_id, [s.id for s in listed], fail_on_error)
