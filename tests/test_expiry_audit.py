"""find_expiring_client_certificates over certificates of mixed validity, across pages, with progress
notifications; and list_client_certificates(all_pages) progress."""

from __future__ import annotations

import itertools
from pathlib import Path

import httpx2
import pytest
from mcp.shared.dispatcher import ProgressFnT

from frontdoor_mcp.api.auth import BearerToken, Secret
from frontdoor_mcp.api.client import FrontdoorClient
from frontdoor_mcp.api.concurrency import MAX_CONCURRENCY
from frontdoor_mcp.sandbox.faults.controller import Fault
from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.server import FrontdoorServer, build_server
from frontdoor_mcp.toolkit.state import SILENT, AppState, ProgressPacing
from frontdoor_mcp.tools import expiry
from frontdoor_mcp.tools.expiry import find_expiring_client_certificates
from tests.support import connect, make_certificate, ok, sandbox_settings, text_of

pytestmark = pytest.mark.anyio

FILLERS = 94
"""With the mixed ones, 101 certificates: the walk needs a second page (it reads 100 a page)."""

MIXED = {  # name: days until not_after
    "expired-long-ago": -40,
    "expired-yesterday": -1,
    "expires-in-3": 3,
    "expires-in-20": 20,
    "expires-in-29": 29,
    "expires-in-45": 45,
    "expires-in-400": 400,
}
DUE_WITHIN_30 = ["expired-long-ago", "expired-yesterday", "expires-in-3", "expires-in-20", "expires-in-29"]

Progress = list[tuple[float, float | None, str | None]]


def populate(sandbox: RunningSandbox) -> dict[str, str]:
    """Upload straight to the sandbox (the tool's policy would refuse the expired ones); name -> id."""
    ids: dict[str, str] = {}
    filler = make_certificate("filler", days=365)
    with httpx2.Client(
        base_url=f"{sandbox.base_url}/{sandbox.frontdoor_id}",
        headers={"Authorization": f"Bearer {sandbox.token}", "Accept": "application/json"},
    ) as api:
        for number in range(FILLERS):
            api.post("/client-certificates", json={"name": f"filler-{number:03d}", "value": filler}).raise_for_status()
        for name, days in MIXED.items():
            pem = make_certificate(name, days=days, not_before_days=-400)
            created = api.post("/client-certificates", json={"name": name, "value": pem})
            created.raise_for_status()
            ids[name] = created.json()["id"]
    return ids


def recorder(into: Progress) -> ProgressFnT:
    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        into.append((progress, total, message))

    return on_progress


@pytest.fixture
def populated(sandbox: RunningSandbox) -> dict[str, str]:
    return populate(sandbox)


async def test_mixed_validity_soonest_first_across_pages(
    server: FrontdoorServer, every_era: str, populated: dict[str, str]
) -> None:
    total = FILLERS + len(MIXED)
    seen: Progress = []
    pages_seen: Progress = []
    async with connect(server, every_era) as client:
        result = await client.call_tool(
            "find_expiring_client_certificates", {"within_days": 30}, progress_callback=recorder(seen)
        )
        expired_only = ok(await client.call_tool("find_expiring_client_certificates", {"within_days": 0}))
        listed = ok(
            await client.call_tool(
                "list_client_certificates", {"all_pages": True}, progress_callback=recorder(pages_seen)
            )
        )
    report = ok(result)
    assert report["checked"] == report["total_elements"] == total
    assert report["undecodable"] == []
    expiring = report["expiring"]
    assert [entry["name"] for entry in expiring] == DUE_WITHIN_30
    assert [entry["id"] for entry in expiring] == [populated[name] for name in DUE_WITHIN_30]
    for entry in expiring:
        days = MIXED[entry["name"]]
        assert entry["days_remaining"] in (days - 1, days), entry  # whole days, rounded down
        assert entry["expired"] is (days < 0)
        assert entry["subject"] == f"CN={entry['name']}" and entry["not_after"]
    assert [entry["not_after"] for entry in expiring] == sorted(entry["not_after"] for entry in expiring)

    text = text_of(result)
    assert text.startswith(f"Of {total} certificates examined, 2 have expired and 3 expire within 30 days.")
    assert "expired-long-ago" in text and "expires-in-45" not in text

    done = [progress for progress, _, _ in seen]
    assert 1 <= len(seen) <= 100 + 1, "at most one progress notification per 1% of the work, plus the last"
    assert all(later - earlier >= total / 100 for earlier, later in itertools.pairwise(done[:-1])), "1% apart"
    assert done == sorted(set(done)) and done[-1] == total, "strictly increasing, to the end"
    assert {t for _, t, _ in seen} == {total}
    assert seen[-1][2] == f"examined {total} of {total} certificates"

    assert [entry["name"] for entry in expired_only["expiring"]] == ["expired-long-ago", "expired-yesterday"]
    assert all(entry["days_remaining"] < 0 for entry in expired_only["expiring"])

    assert len(listed["items"]) == total
    # 101 certificates fit in one page of the walk's size (2,000): one progress notification for the one page.
    assert [(progress, t) for progress, t, _ in pages_seen] == [(1, 1)], "all_pages: progress per page"
    assert pages_seen[-1][2] == "read 1 of 1 pages"


class CountingTransport(httpx2.AsyncBaseTransport):
    """The real network, counting how many certificate reads are in flight at once."""

    def __init__(self) -> None:
        self._inner = httpx2.AsyncHTTPTransport()
        self.in_flight = 0
        self.most_in_flight = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        counted = "/client-certificates/cert-" in request.url.path
        if counted:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return await self._inner.handle_async_request(request)
        finally:
            if counted:
                self.in_flight -= 1

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_certificates_are_read_concurrently_but_bounded(
    sandbox: RunningSandbox, populated: dict[str, str], tmp_path: Path
) -> None:
    sandbox.faults.add(Fault(kind="latency", latency_s=0.01, method="GET", path_contains="/cert-", times=None))
    transport = CountingTransport()
    server = build_server(sandbox_settings(sandbox, tmp_path), transport=transport)
    async with connect(server, "legacy") as client:
        ok(await client.call_tool("find_expiring_client_certificates", {}))
    assert 1 < transport.most_in_flight <= MAX_CONCURRENCY
    assert sandbox.faults.count(method="GET", path_contains="/cert-") == FILLERS + len(MIXED), "each read once"


async def test_a_certificate_deleted_during_the_walk_is_skipped(
    server: FrontdoorServer, sandbox: RunningSandbox, populated: dict[str, str]
) -> None:
    gone = populated["expires-in-3"]
    sandbox.faults.add(Fault(kind="status", status=404, method="GET", path_contains=gone, times=None))
    seen: Progress = []
    async with connect(server, "legacy") as client:
        report = ok(
            await client.call_tool(
                "find_expiring_client_certificates", {"within_days": 30}, progress_callback=recorder(seen)
            )
        )
    assert gone not in [entry["id"] for entry in report["expiring"]]
    assert len(report["expiring"]) == len(DUE_WITHIN_30) - 1
    total = FILLERS + len(MIXED)
    assert seen[-1][:2] == (total, total), "progress still reaches the total"


async def test_an_api_failure_during_the_walk_is_a_tool_error(
    server: FrontdoorServer, sandbox: RunningSandbox, populated: dict[str, str]
) -> None:
    sandbox.faults.add(
        Fault(kind="status", status=500, method="GET", path_contains=populated["expires-in-20"], times=None)
    )
    async with connect(server, "legacy") as client:
        result = await client.call_tool("find_expiring_client_certificates", {})
    assert result.is_error and "The Frontdoor API failed with HTTP 500" in text_of(result)


def test_progress_is_paced_by_work_and_by_time_and_ends_with_the_total() -> None:
    """At most one notification per 1% of the work and per 250 ms (both must have passed), and the last one
    always, once: 10,000 reports in a second become a handful (a clock the test moves, not a timed test)."""
    now = [0.0]
    pacing = ProgressPacing(lambda: now[0])
    sent: list[tuple[float, int]] = []
    for done in range(1, 10_001):
        now[0] = done / 10_000  # the whole audit takes one second
        if pacing.due(done, 10_000):
            sent.append((now[0], done))
    assert pacing.due(10_000, 10_000) is False, "the final one is sent once"
    assert sent[0] == (0.01, 100), "the first once 1% is done"
    assert sent[-1][1] == 10_000
    gaps = list(itertools.pairwise(sent[:-1]))
    assert all(b[0] - a[0] >= 0.25 and b[1] - a[1] >= 100 for a, b in gaps)
    assert len(sent) == 5  # 1%, then every 250 ms: 26%, 51%, 76%; and 100%

    slow = ProgressPacing(lambda: now[0])
    paced: list[int] = []
    for done in range(1, 1_001):
        now[0] += 10.0  # a slow walk: time is never what holds a notification back
        if slow.due(done, 1_000):
            paced.append(done)
    assert paced == list(range(10, 1_001, 10)), "one per 1% of the work"


@pytest.mark.slow
async def test_an_audit_of_10000_certificates_sends_at_most_a_hundred_and_one_notifications(
    server: FrontdoorServer, sandbox: RunningSandbox
) -> None:
    """Was one per certificate (10,000). Counted as a client receives them."""
    sandbox.seed_certificates(10_000, name_prefix="bulk")
    seen: Progress = []
    async with connect(server, "legacy") as client:
        report = ok(await client.call_tool("find_expiring_client_certificates", {}, progress_callback=recorder(seen)))
    assert report["checked"] == 10_000
    assert 1 <= len(seen) <= 101 and seen[-1][:2] == (10_000, 10_000)


async def test_an_audit_past_the_most_one_walk_reads_examines_the_oldest_and_says_which(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The oldest are the likeliest to expire: past the most one walk reads, those are the ones examined, and the
    text says exactly which were and which were not."""
    monkeypatch.setattr(expiry, "WALK_MAX_ITEMS", 20)
    sandbox.seed_certificates(5, value=make_certificate("old", days=10), name_prefix="old")
    sandbox.seed_certificates(20, value=make_certificate("new", days=200), name_prefix="new")
    async with FrontdoorClient(sandbox.base_url, BearerToken(Secret(sandbox.token), source="test")) as client:
        answer = await find_expiring_client_certificates(AppState(client, sandbox.frontdoor_id, None, "test"), SILENT)
    report = answer.result
    assert report.checked == 20 and report.expiring_count == 5 and report.total_elements == 25
    assert not report.complete and report.walk_truncated and report.incomplete_reason == "one walk reads at most 20"
    assert answer.text.startswith(
        "Incomplete audit. Examined the 20 oldest of the 25 certificates the API reported; the 5 newest were not "
        "read (one walk reads at most 20).\nOf those examined, 0 have expired and 5 expire within 30 days; the "
        "newest may expire too."
    )
    assert "could not be read" not in answer.text
