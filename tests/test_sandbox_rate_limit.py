"""The `rate_limit` fault: a token bucket on the sandbox clock over the matching requests, 429 past it with
the guide's error shape and an integer Retry-After that, waited, gets a request through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import httpx2
import pytest

from frontdoor_mcp.sandbox.faults.controller import Fault
from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from tests.clocks import ManualClock
from tests.sandbox_curl.clients import new_client

LIST = "/client-certificates"


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def shared(clock: ManualClock) -> Iterator[RunningSandbox]:
    with start_sandbox(clock=clock) as running:
        yield running


@pytest.fixture
def api(shared: RunningSandbox) -> Iterator[httpx2.Client]:
    shared.faults.clear()
    shared.faults.clear_requests()
    with new_client(
        base_url=f"{shared.base_url}/{shared.frontdoor_id}",
        headers={"Authorization": f"Bearer {shared.token}", "Accept": "application/json"},
    ) as client:
        yield client


def statuses(api: httpx2.Client, count: int) -> list[int]:
    return [api.get(LIST).status_code for _ in range(count)]


def test_a_burst_then_the_rate(api: httpx2.Client, shared: RunningSandbox, clock: ManualClock) -> None:
    shared.faults.add(Fault("rate_limit", rate_per_s=2, burst=2, times=None))
    assert statuses(api, 2) == [200, 200]
    refused = api.get(LIST)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"] == "application/json"
    payload = cast(dict[str, Any], refused.json())
    assert set(payload) == {"error", "message"}
    assert payload["error"] == "too_many_requests"
    clock.now += 0.5  # one request's worth at 2/s
    assert statuses(api, 2) == [200, 429]
    clock.now += 10  # refilled to the burst, no further
    assert statuses(api, 3) == [200, 200, 429]
    assert [r.fault for r in shared.faults.requests if r.status == 429] == ["rate_limit"] * 3


def test_retry_after_is_the_whole_seconds_until_admission(
    api: httpx2.Client, shared: RunningSandbox, clock: ManualClock
) -> None:
    shared.faults.add(Fault("rate_limit", rate_per_s=0.1, times=None))  # one request per 10 s; burst 1
    assert api.get(LIST).status_code == 200
    assert api.get(LIST).headers["retry-after"] == "10"
    clock.now += 4.5
    assert api.get(LIST).headers["retry-after"] == "6"  # 5.5 s to go, rounded up
    clock.now += 5.6  # the 5.5 s it needed (Retry-After rounds up, so waiting what it says is enough)
    assert api.get(LIST).status_code == 200


def test_only_matching_requests_are_counted(api: httpx2.Client, shared: RunningSandbox) -> None:
    shared.faults.add(Fault("rate_limit", method="POST", path_contains=LIST, rate_per_s=1, times=None))
    assert statuses(api, 5) == [200] * 5  # GETs pass untouched
    created = [api.post(LIST, json={"name": "x"}).status_code for _ in range(2)]
    assert created == [400, 429]  # the first reaches the API (and its 400), the second is limited
    assert api.post(shared.token_url, data={"grant_type": "client_credentials"}).status_code == 401


def test_times_counts_the_requests_refused(api: httpx2.Client, shared: RunningSandbox) -> None:
    shared.faults.add(Fault("rate_limit", rate_per_s=1, times=2))
    assert statuses(api, 5) == [200, 429, 429, 200, 200]  # two refusals, then the rule is used up
    assert shared.faults.faults == []


def test_a_status_fault_behind_an_admitting_rate_limit_still_applies(
    api: httpx2.Client, shared: RunningSandbox
) -> None:
    shared.faults.add(Fault("rate_limit", rate_per_s=100, times=None))
    shared.faults.add(Fault("status", status=503, retry_after="3"))
    assert statuses(api, 2) == [503, 200]


def test_over_the_admin_api_and_validation(api: httpx2.Client, shared: RunningSandbox) -> None:
    admin = {"X-Sandbox-Admin": shared.admin_token}
    faults_url = f"{shared.root_url}/_sandbox/faults"
    added = api.post(faults_url, json={"kind": "rate_limit", "rate_per_s": 1, "burst": 3, "times": None}, headers=admin)
    assert added.status_code == 201
    assert cast(dict[str, Any], added.json())["fault"]["burst"] == 3
    assert statuses(api, 4) == [200, 200, 200, 429]
    missing_rate = api.post(faults_url, json={"kind": "rate_limit"}, headers=admin)
    assert missing_rate.status_code == 400
    assert "rate_per_s" in cast(dict[str, Any], missing_rate.json())["message"]
    with pytest.raises(ValueError, match="burst"):
        Fault("rate_limit", rate_per_s=1, burst=0)
    assert Fault("rate_limit", rate_per_s=2.5).bucket_size == 2
    assert Fault("rate_limit", rate_per_s=0.2).bucket_size == 1
