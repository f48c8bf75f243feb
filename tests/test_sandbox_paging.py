"""The sandbox's paging variants, seen from a real HTTP client: each shape of list answer for every list, the
largest page, both chosen at start and changed at run time through /_sandbox/paging; HAL negotiation as before;
and the `churn` fault, which creates and deletes items while a list is walked."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any, cast

import httpx2
import pytest

from frontdoor_mcp.sandbox.faults.controller import Fault
from frontdoor_mcp.sandbox.options import add_sandbox_arguments
from frontdoor_mcp.sandbox.paging import PAGING_SHAPES, Paging, PagingShape
from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from tests.sandbox_curl.clients import new_client
from tests.support import CANARY_TOKEN, fresh_lane, set_paging

COLLECTIONS = ("client-certificates", "certificate-request-tokens", "shares")


@pytest.fixture(scope="module")
def shared() -> Iterator[RunningSandbox]:
    with start_sandbox(token=CANARY_TOKEN, share_provisioning_s=0.0) as running:
        yield running


@pytest.fixture
def lane(shared: RunningSandbox) -> Iterator[RunningSandbox]:
    sandbox = fresh_lane(shared)
    sandbox.seed_certificates(5, name_prefix="paged")
    for number in range(5):
        sandbox.add_request_token(f"token-{number}")
        sandbox.add_share(f"share{number}", type="http")
    yield sandbox
    shared.paging.set(shape="guide", max_page_size=2000)


def client_for(sandbox: RunningSandbox, accept: str = "application/json") -> httpx2.Client:
    return new_client(
        base_url=f"{sandbox.base_url}/{sandbox.frontdoor_id}",
        headers={"Authorization": f"Bearer {sandbox.token}", "Accept": accept},
    )


EXPECTED_KEYS: dict[PagingShape, set[str] | None] = {
    "guide": {"content", "pageable", "totalElements", "totalPages"},
    "spring-dto": {"content", "page"},
    "hal": {"_embedded", "_links", "page"},
    "content-only": {"content"},
    "array": None,
    "unpaged": None,
}


@pytest.mark.parametrize("shape", PAGING_SHAPES)
def test_every_list_answers_in_the_shape_set_at_run_time(lane: RunningSandbox, shape: PagingShape) -> None:
    assert set_paging(lane, shape=shape, max_page_size=3) == {"shape": shape, "max_page_size": 3}
    with client_for(lane) as api:
        for collection in COLLECTIONS:
            response = api.get(f"/{collection}", params={"page": "1", "size": "50"})
            assert response.status_code == 200 and response.headers["content-type"] == "application/json"
            body: Any = response.json()
            keys = EXPECTED_KEYS[shape]
            if keys is None:
                # 5 items, pages of 3: page 1 holds 2; unpaged, every page holds all 5
                assert isinstance(body, list) and len(cast(list[Any], body)) == (5 if shape == "unpaged" else 2)
                continue
            assert set(cast(dict[str, Any], body)) == keys, collection
            if shape == "spring-dto":
                assert body["page"] == {"size": 3, "number": 1, "totalElements": 5, "totalPages": 2}
            if shape == "hal":
                assert len(next(iter(body["_embedded"].values()))) == 2 and body["page"]["size"] == 3
            if shape in ("guide", "content-only", "spring-dto"):
                assert len(body["content"]) == 2


def test_hal_asked_for_is_hal_whatever_the_shape(lane: RunningSandbox) -> None:
    set_paging(lane, shape="array")
    with client_for(lane, accept="application/hal+json") as api:
        response = api.get("/client-certificates")
    assert response.headers["content-type"] == "application/hal+json"
    assert {"_embedded", "_links", "page"} <= set(cast(dict[str, Any], response.json()))


def test_unpaged_answers_every_page_with_the_whole_list_in_the_order_asked(lane: RunningSandbox) -> None:
    """An API without paging: `page` and `size` (and the largest page) change nothing; the sort still applies."""
    set_paging(lane, shape="unpaged", max_page_size=2)
    with client_for(lane) as api:
        for collection in COLLECTIONS:
            pages = [
                [entry["id"] for entry in api.get(f"/{collection}", params={"page": str(number), "size": "1"}).json()]
                for number in (0, 1, 7)
            ]
            assert len(pages[0]) == 5 and pages[0] == pages[1] == pages[2], collection
            newest = api.get(f"/{collection}", params={"page": "3", "sort": "createdAt,desc"}).json()
            assert [entry["id"] for entry in newest] == list(reversed(pages[0])), collection
    with client_for(lane, accept="application/hal+json") as api:
        hal = api.get("/client-certificates", params={"size": "2"}).json()
    assert len(hal["_embedded"]["clientCertificates"]) == 2, "HAL asked for is HAL, paged, whatever the shape"


def test_the_largest_page_caps_the_size_asked_and_the_default(lane: RunningSandbox) -> None:
    with client_for(lane) as api:
        assert api.get("/client-certificates", params={"size": "5000"}).json()["pageable"]["pageSize"] == 2000
        set_paging(lane, max_page_size=2)
        capped = api.get("/client-certificates", params={"size": "5000"}).json()
        assert capped["pageable"]["pageSize"] == 2 and capped["totalPages"] == 3 and len(capped["content"]) == 2
        assert api.get("/client-certificates").json()["pageable"]["pageSize"] == 2, "the default of 20 capped too"


def test_the_paging_control_needs_the_admin_header_and_refuses_what_it_cannot_do(lane: RunningSandbox) -> None:
    url = f"{lane.root_url}/_sandbox/paging"
    admin = {"X-Sandbox-Admin": lane.admin_token}
    with new_client() as http:
        assert http.get(url).status_code == 401
        assert http.put(url, json={"shape": "hal"}, headers={"X-Sandbox-Admin": "wrong"}).status_code == 401
        refusals: list[tuple[object, str]] = [
            ({"shape": "xml"}, "paging must be one of guide, spring-dto, hal, content-only, array, unpaged"),
            ({"shape": 3}, "shape must be one of"),
            ({"max_page_size": 0}, "max_page_size must be an integer from 1 to 100,000"),
            ({"max_page_size": True}, "max_page_size must be an integer"),
            ({"max_page_size": "10"}, "max_page_size must be an integer"),
            ({"colour": "red"}, "unknown paging field(s): colour"),
            ([], "the paging must be a JSON object"),
        ]
        for bad, said in refusals:
            refused = http.put(url, json=bad, headers=admin)
            assert refused.status_code == 400 and said in refused.json()["message"], bad
        assert http.get(url, headers=admin).json() == {"shape": "guide", "max_page_size": 2000}, "nothing changed"
        assert http.put(url, json={"max_page_size": 100}, headers=admin).json() == {
            "shape": "guide",
            "max_page_size": 100,
        }
    assert lane.paging.current == Paging("guide", 100)


def test_the_paging_is_chosen_at_start_on_the_command_line_and_checked() -> None:
    with start_sandbox(paging="content-only", max_page_size=7) as sandbox:
        assert sandbox.paging.current == Paging("content-only", 7)
        sandbox.seed_certificates(9)
        with client_for(sandbox) as api:
            body = api.get("/client-certificates", params={"size": "100"}).json()
        assert set(body) == {"content"} and len(body["content"]) == 7
    with pytest.raises(ValueError, match="paging must be one of"):
        start_sandbox(paging=cast(PagingShape, "xml"))
    with pytest.raises(ValueError, match="max_page_size"):
        start_sandbox(max_page_size=0)
    parser = argparse.ArgumentParser()
    add_sandbox_arguments(parser)
    parsed = parser.parse_args(["--paging", "spring-dto", "--max-page-size", "100"])
    assert (parsed.sandbox_paging, parsed.sandbox_max_page_size) == ("spring-dto", 100)
    defaults = parser.parse_args([])
    assert (defaults.sandbox_paging, defaults.sandbox_max_page_size) == ("guide", 2000)
    for wrong in (["--paging", "xml"], ["--max-page-size", "0"], ["--max-page-size", "many"]):
        with pytest.raises(SystemExit):
            parser.parse_args(wrong)


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_churn_creates_and_deletes_before_a_later_page_is_read(lane: RunningSandbox, collection: str) -> None:
    set_paging(lane, max_page_size=2)
    lane.faults.add(Fault("churn", method="GET", path_contains=f"/{collection}", creates=2, deletes=1))
    with client_for(lane) as api:

        def ids(page: int) -> list[str]:
            body = api.get(f"/{collection}", params={"page": str(page), "size": "2", "sort": "createdAt,desc"}).json()
            return [entry["id"] for entry in body["content"]]

        first = ids(0)  # page 0: not bitten
        assert lane.faults.faults[0].times == 1
        second = ids(1)  # bitten: the newest goes, two newer come
        assert lane.faults.faults == []
        again = ids(0)
        total = api.get(f"/{collection}").json()["totalElements"]
        if collection == "client-certificates":
            created = [api.get(f"/{collection}/{entry}").json() for entry in again]
            assert all(entry["name"].startswith("churn-") for entry in created)
            assert all(entry["value"].startswith("-----BEGIN CERTIFICATE-----") for entry in created)
    assert total == 6 and first[0] not in again and len(set(again) - set(first)) == 2
    assert second and set(second).isdisjoint(again)


def test_churn_bites_only_list_pages_from_the_page_it_names(lane: RunningSandbox) -> None:
    lane.faults.add(Fault("churn", path_contains="/client-certificates", from_page=0, times=None, deletes=0))
    with client_for(lane) as api:
        listed = api.get("/client-certificates").json()["content"]
        api.get(f"/client-certificates/{listed[0]['id']}")  # one certificate: never churned
        assert api.get("/client-certificates").json()["totalElements"] == 7
    assert Fault.from_json({"kind": "churn", "creates": 3, "deletes": 0, "from_page": 2}) == Fault(
        "churn", creates=3, deletes=0, from_page=2
    )
    with pytest.raises(ValueError, match="creates and deletes"):
        Fault("churn", creates=-1)
    with pytest.raises(ValueError, match="from_page"):
        Fault("churn", from_page=-1)
