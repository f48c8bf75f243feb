"""Lists that are complete, or say they are not, against the sandbox in every paging shape: one page, every page
(`all_pages`), the expiry audit, and the walk of the shares behind a delete, under a largest page of 100 and of
2,000, undisturbed and disturbed by a create and a delete while the walk runs (the `churn` fault).

The scene: certificates of which a known number expire within 30 days, and 150 shares of which the 101st and
the 131st require one certificate. Listed in their order (oldest first), a delete of the oldest share while the
walk is between its pages shifts the 101st onto the first page, already read: the walk skips it while every
count still agrees. The walk must then say it is incomplete, and the delete must not say "No share uses it.".

The sandbox's clock stands still, so everything is created in the same second, as by a bulk import: time cannot
tell an item created during a walk from the others, and the walks check themselves by reading again (the
newest items, or every page). Undisturbed, every cell gives exact counts and `complete`. Disturbed, a walk of
more than one page says it is incomplete (the list changed while it was read) and its counts stay within the
changed set; a walk of one page is a snapshot, complete, of the list as its page was read. (Where items were
created over time, a walk read newest first can show it is complete without reading again, disturbed or not:
the last test.)

An API that does not page (`unpaged`: every page the whole list) is read as one list in three requests (pages 0,
1 and 2 alike), and never said complete: an API that cuts its one answer at a limit of its own would look the
same. Its counts are exact all the same; disturbed, the page after the first differs, and the walk says the list
changed.

The full matrix (2,500 certificates, both caps) is `slow`; the default suite runs every shape at a cap of 100
over 200 certificates.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from frontdoor_mcp.api.auth import BearerToken, Secret
from frontdoor_mcp.api.client import FrontdoorClient
from frontdoor_mcp.api.walk import UNPAGED
from frontdoor_mcp.sandbox.faults.controller import Fault
from frontdoor_mcp.sandbox.paging import PAGING_SHAPES, PagingShape
from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from frontdoor_mcp.server import build_server
from frontdoor_mcp.toolkit.state import SILENT, AppState
from frontdoor_mcp.tools.certificates import delete_client_certificate, find_deletion_target, list_client_certificates
from frontdoor_mcp.tools.expiry import find_expiring_client_certificates
from frontdoor_mcp.tools.request_tokens import list_certificate_request_tokens
from frontdoor_mcp.tools.shares import list_shares
from tests.clocks import ManualClock
from tests.support import (
    CANARY_TOKEN,
    connect,
    fresh_lane,
    make_certificate,
    sandbox_settings,
    set_paging,
    structured,
    text_of,
)

pytestmark = pytest.mark.anyio

SHARES = 150
SHARING = (100, 130)
"""The shares (by creation order, from 0) that require the scene's certificate: the 101st and the 131st."""
COUNTED: frozenset[PagingShape] = frozenset({"guide", "spring-dto", "hal"})
EXPIRING_PEM = make_certificate("expiring-soon", days=10)
VALID_PEM = make_certificate("valid", days=200)


@dataclass(frozen=True)
class Scene:
    sandbox: RunningSandbox
    certificates: int
    expiring: int
    certificate_id: str
    """The certificate the 101st and 131st shares require."""
    sharing: frozenset[str]


def scene_in(shared: RunningSandbox, certificates: int, expiring: int, sharing: tuple[int, ...] = SHARING) -> Scene:
    lane = fresh_lane(shared)
    lane.seed_certificates(expiring, value=EXPIRING_PEM, name_prefix="expiring")
    certificate_id = lane.seed_certificates(certificates - expiring, value=VALID_PEM, name_prefix="valid")[0]
    sharing_ids: set[str] = set()
    for number in range(SHARES):
        share = lane.add_share(
            f"share{number:03d}", type="http", client_certificate_id=certificate_id if number in sharing else None
        )
        if number in sharing:
            sharing_ids.add(share.id)
    return Scene(lane, certificates, expiring, certificate_id, frozenset(sharing_ids))


@pytest.fixture(scope="module")
def shared() -> Iterator[RunningSandbox]:
    with start_sandbox(token=CANARY_TOKEN, share_provisioning_s=0.0, clock=ManualClock()) as running:
        yield running


def churn_on(sandbox: RunningSandbox, collection: str) -> None:
    """One create and one delete, just before the second page (or any later one) of `collection` is read."""
    sandbox.faults.add(Fault("churn", method="GET", path_contains=f"/{collection}", creates=1, deletes=1))


async def run_cell(scene: Scene, shape: PagingShape, cap: int, disturbed: bool) -> None:
    """Every count of one cell: exact undisturbed; disturbed, within the changed set, `complete` as it must be."""
    lane, count, expiring = scene.sandbox, scene.certificates, scene.expiring
    set_paging(lane, shape=shape, max_page_size=cap)
    counted, unpaged = shape in COUNTED, shape == "unpaged"
    one_page, shares_on_one_page = count <= cap, cap >= SHARES
    async with FrontdoorClient(lane.base_url, BearerToken(Secret(lane.token), source="test")) as client:
        state = AppState(client, lane.frontdoor_id, None, "test")

        one = await list_client_certificates(state, SILENT, size=20)
        page = one.result
        if unpaged:  # the whole list for a page of 20: no next page, and the text says why
            assert page.matching == count and page.next_page is None and "it may not page at all" in one.text
        else:
            assert len(page.items) == 20 and page.next_page == 1
        assert page.total_elements == (count if counted else None)

        if disturbed:
            churn_on(lane, "client-certificates")
        listing = await list_client_certificates(state, SILENT, all_pages=True)
        lane.faults.clear()
        listed = listing.result
        assert listed.total_elements == (count if counted else None)
        if unpaged and not disturbed:
            assert listed.complete is False and listed.incomplete_reason == UNPAGED
            assert listed.matching == count, "exact: the one answer read as the list"
            assert f"Incomplete: {UNPAGED}. Calling again would read the same" in listing.text
        elif not disturbed or one_page:
            assert listed.complete is True and listed.incomplete_reason is None
            assert listed.matching == count, "exact: the list as its one page was read, or undisturbed"
            assert "every page read" in listing.text
        else:
            assert listed.complete is False and "the list changed while it was read" in (listed.incomplete_reason or "")
            assert count - 1 <= listed.matching <= count + 1
            assert "Incomplete" in listing.text and "every page read" not in listing.text

        if disturbed:
            churn_on(lane, "client-certificates")
        audit = await find_expiring_client_certificates(state, SILENT)
        lane.faults.clear()
        report = audit.result
        assert report.expired_count == 0 and report.undecodable_count == 0
        if unpaged and not disturbed:
            assert not report.complete and report.incomplete_reason == UNPAGED
            assert report.checked == count and report.expiring_count == expiring
            assert audit.text.startswith(f"Incomplete audit. Audited {count:,} certificates, but the walk could not")
            assert f"0 have expired and {expiring} expire within 30 days; certificates not examined" in audit.text
        elif not disturbed:
            assert report.complete and report.checked == count and report.expiring_count == expiring
            assert audit.text.startswith(
                f"Of {count:,} certificates examined, 0 have expired and {expiring} expire within 30 days."
            )
        elif one_page:
            assert report.complete and report.checked == count
            assert expiring - 1 <= report.expiring_count <= expiring  # one may go before it is read: 404, skipped
        else:
            assert not report.complete and "the list changed while it was read" in (report.incomplete_reason or "")
            assert count - 1 <= report.checked <= count + 1 and expiring - 1 <= report.expiring_count <= expiring
            assert (
                audit.text.startswith("Incomplete audit.") and "certificates not examined may expire too" in audit.text
            )

        if disturbed:
            churn_on(lane, "shares")
        target = await find_deletion_target(state, scene.certificate_id, None)
        refused = await delete_client_certificate(
            state, SILENT, certificate_id=scene.certificate_id, target=target, consent="required"
        )
        lane.faults.clear()
        result = refused.result
        found = {ref.id for ref in result.used_by_shares or []}
        assert not result.deleted and "No share uses it." not in refused.text
        if unpaged:
            # Every share in the one answer; never said to be all of them.
            assert found == scene.sharing and result.used_by_shares_complete is False
            assert "Used by 2 shares" in refused.text and "Not every share could be read" in refused.text
            reason = result.used_by_shares_incomplete_reason or ""
            assert "the list changed while it was read" in reason if disturbed else reason == UNPAGED
        elif not disturbed or shares_on_one_page:
            assert found == scene.sharing and result.used_by_shares_complete is True
            assert "Used by 2 shares" in refused.text and "Not every share" not in refused.text
        else:
            # The oldest share went while the walk was between its pages: the 101st moved onto the first page,
            # already read, and was skipped, though every count agreed. The walk says so.
            assert found < scene.sharing and result.used_by_shares_complete is False
            assert "the list changed while it was read" in (result.used_by_shares_incomplete_reason or "")
            assert "Not every share could be read" in refused.text

        shares = (await list_shares(state, SILENT, all_pages=True)).result  # a churn adds one and takes one
        assert shares.matching == SHARES and shares.complete is (not unpaged)
        assert shares.total_elements == (SHARES if counted else None)


CELLS_FAST = [(shape, 100) for shape in PAGING_SHAPES]


@pytest.mark.parametrize(("shape", "cap"), CELLS_FAST)
async def test_every_shape_undisturbed_and_disturbed_at_a_cap_of_100(
    shared: RunningSandbox, shape: PagingShape, cap: int
) -> None:
    await run_cell(scene_in(shared, 200, 17), shape, cap, disturbed=False)
    await run_cell(scene_in(shared, 200, 17), shape, cap, disturbed=True)


@pytest.mark.slow
@pytest.mark.parametrize("disturbed", [False, True], ids=["undisturbed", "disturbed"])
@pytest.mark.parametrize("cap", [100, 2000])
@pytest.mark.parametrize("shape", PAGING_SHAPES)
async def test_the_full_matrix_over_2500_certificates(
    shared: RunningSandbox, shape: PagingShape, cap: int, disturbed: bool
) -> None:
    """2,500 certificates: more than one page under either cap, so every disturbed walk is disturbed."""
    await run_cell(scene_in(shared, 2_500, 124), shape, cap, disturbed)


async def test_the_tokens_walk_says_whether_it_is_complete(shared: RunningSandbox) -> None:
    lane = fresh_lane(shared)
    for number in range(25):
        lane.add_request_token(f"token-{number:02d}")
    set_paging(lane, shape="content-only", max_page_size=10)
    async with FrontdoorClient(lane.base_url, BearerToken(Secret(lane.token), source="test")) as client:
        state = AppState(client, lane.frontdoor_id, None, "test")
        whole = await list_certificate_request_tokens(state, SILENT, all_pages=True)
        churn_on(lane, "certificate-request-tokens")
        disturbed = await list_certificate_request_tokens(state, SILENT, all_pages=True)
        page = await list_certificate_request_tokens(state, SILENT, size=10)
    assert whole.result.complete is True and len(whole.result.items) == 25 and whole.result.total_elements is None
    assert "25 certificate request tokens (every page; the API reports no total)" in whole.text
    assert disturbed.result.complete is False and "Not every token could be read" in disturbed.text
    assert page.result.next_page == 1 and page.result.total_elements is None


async def test_through_mcp_an_incomplete_walk_says_so_in_its_text_and_its_structure(
    shared: RunningSandbox, tmp_path: Path
) -> None:
    scene = scene_in(shared, 200, 17)
    lane = scene.sandbox
    set_paging(lane, shape="spring-dto", max_page_size=100)
    server = build_server(sandbox_settings(lane, tmp_path))
    async with connect(server, "legacy") as client:
        churn_on(lane, "client-certificates")
        listing = await client.call_tool("list_client_certificates", {"all_pages": True})
        churn_on(lane, "client-certificates")
        audit = await client.call_tool("find_expiring_client_certificates", {})
        churn_on(lane, "shares")
        delete = await client.call_tool("delete_client_certificate", {"certificate_id": scene.certificate_id})
    listed, report, refused = (structured(result) for result in (listing, audit, delete))
    assert listed["complete"] is False and "the list changed while it was read" in listed["incomplete_reason"]
    assert "Incomplete: the list changed while it was read (" in text_of(listing)
    assert "Call again to read it anew." in text_of(listing)
    assert report["complete"] is False and text_of(audit).startswith("Incomplete audit. Audited ")
    assert refused["deleted"] is False and refused["used_by_shares_complete"] is False
    assert "Not every share could be read: the list changed while it was read" in text_of(delete)
    assert "No share uses it." not in text_of(delete)


@pytest.mark.parametrize("shape", [shape for shape in PAGING_SHAPES if shape != "unpaged"])  # nothing to skip there
async def test_a_delete_never_says_no_share_uses_it_when_the_one_that_does_was_skipped(
    shared: RunningSandbox, shape: PagingShape
) -> None:
    """The issue's case: 150 shares, a largest page of 100, and the certificate required by the 101st share only.
    The oldest share is deleted (and one created) while the walk is between its two pages: the 101st moves onto
    the first page, already read, and every count still agrees."""
    scene = scene_in(shared, 30, 0, sharing=(100,))
    lane = scene.sandbox
    set_paging(lane, shape=shape, max_page_size=100)
    churn_on(lane, "shares")
    async with FrontdoorClient(lane.base_url, BearerToken(Secret(lane.token), source="test")) as client:
        state = AppState(client, lane.frontdoor_id, None, "test")
        target = await find_deletion_target(state, scene.certificate_id, None)
        refused = await delete_client_certificate(
            state, SILENT, certificate_id=scene.certificate_id, target=target, consent="required"
        )
    assert refused.result.used_by_shares == [] and refused.result.used_by_shares_complete is False
    assert "No share uses it." not in refused.text
    assert "No share read uses it, but not every share could be read: the list changed while it was read" in (
        refused.text
    )
    assert "Whether another does is unknown." in refused.text


class Ticking:
    """A sandbox clock one second further at every reading: each certificate seeded is a second newer."""

    def __init__(self) -> None:
        self.now = time.time() - 86_400

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


async def test_items_created_over_time_let_a_disturbed_walk_show_it_read_every_one_without_reading_again() -> None:
    """Newest first, a create lands before the pages already read and a delete of one read shifts nothing
    after it: the walk reads every certificate the list held as it began, and shows it from the times alone."""
    with start_sandbox(token=CANARY_TOKEN, clock=Ticking(), max_page_size=100) as sandbox:
        sandbox.seed_certificates(250, value=VALID_PEM)
        began = {row.id for row in sandbox.store.list_certificates(sandbox.frontdoor_id, [], 0, 1000)[0]}
        async with FrontdoorClient(sandbox.base_url, BearerToken(Secret(sandbox.token), source="test")) as client:
            quiet, quiet_walk = await client.certificates.list_all(sandbox.frontdoor_id)
            churn_on(sandbox, "client-certificates")
            busy, busy_walk = await client.certificates.list_all(sandbox.frontdoor_id)
        now = {row.id for row in sandbox.store.list_certificates(sandbox.frontdoor_id, [], 0, 1000)[0]}
    assert quiet_walk.complete and quiet_walk.requests == 3 and {one.id for one in quiet} == began
    assert busy_walk.complete and busy_walk.requests == 3, "no read again: the times show nothing new was read"
    assert {one.id for one in busy} == began and now != began, "exactly the list as the walk began"
