"""Retries: which requests are repeated, when, and how long the client waits (Retry-After, backoff)."""

from __future__ import annotations

import httpx2
import pytest

from frontdoor_mcp.api.errors import ConnectFailure, OutcomeUnknown, RateLimited, ServerError
from frontdoor_mcp.api.retry import RetryPolicy
from tests.support import CANARY_TOKEN, CERT, EMPTY_PAGE, FRONTDOOR, Sleeps, json_response, mock_client

pytestmark = pytest.mark.anyio


async def test_get_retries_503_honouring_retry_after_then_succeeds() -> None:
    calls: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(request)
        if len(calls) < 3:
            return json_response(503, {"error": "unavailable"}, {"retry-after": "2"})
        return json_response(200, EMPTY_PAGE)

    sleeps = Sleeps()

    client = mock_client(handler, sleeps=sleeps)
    page = await client.certificates.list(FRONTDOOR)
    assert page.total_elements == 0 and len(calls) == 3 and sleeps.calls == [2.0, 2.0]
    assert calls[0].headers["user-agent"].startswith("frontdoor-mcp/")
    assert calls[0].url.path == f"/frontdoor/{FRONTDOOR}/client-certificates"


async def test_retry_after_over_a_minute_fails_at_once() -> None:
    sleeps = Sleeps()
    client = mock_client(
        lambda request: json_response(429, {"error": "slow down"}, {"retry-after": "120"}), sleeps=sleeps
    )
    with pytest.raises(RateLimited) as caught:
        await client.certificates.get(FRONTDOOR, CERT)
    assert caught.value.retry_after == 120 and sleeps.calls == []


async def test_three_attempts_at_most_with_capped_backoff() -> None:
    calls: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(1)
        return json_response(502, {})

    sleeps = Sleeps()

    client = mock_client(handler, sleeps=sleeps)
    with pytest.raises(ServerError):
        await client.certificates.get(FRONTDOOR, CERT)
    assert len(calls) == 3 and len(sleeps.calls) == 2 and all(0 < s <= 8 for s in sleeps.calls)


async def test_post_is_never_retried_on_503() -> None:
    calls: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.method == "GET":
            return json_response(200, EMPTY_PAGE)  # the look at what exists before the create
        calls.append(1)
        return json_response(503, {})

    client = mock_client(handler)
    with pytest.raises(OutcomeUnknown):  # a 5xx may have committed it: looked for, not repeated
        await client.certificates.create(FRONTDOOR, "x", "pem")
    assert len(calls) == 1


async def test_connect_failure_is_retried_for_get_and_reported() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    sleeps = Sleeps()

    client = mock_client(handler, sleeps=sleeps)
    with pytest.raises(ConnectFailure) as caught:
        await client.certificates.list(FRONTDOOR)
    assert len(sleeps.calls) == 2 and CANARY_TOKEN not in repr(caught.value) + str(caught.value)


def test_retry_policy_bounds() -> None:
    policy = RetryPolicy()
    assert policy.delay_for(3, None) is None
    assert policy.delay_for(1, 61) is None
    assert all(0 < policy.backoff(attempt) <= 8 for attempt in range(1, 10))
