"""The API client: against the real sandbox for behaviour, with MockTransport for what a server can't easily do."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2
import pytest

from frontdoor_mcp.api.auth import BasicToken, BearerToken, Secret
from frontdoor_mcp.api.client import FrontdoorClient
from frontdoor_mcp.api.errors import (
    BadRequest,
    ConnectFailure,
    Forbidden,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    Unauthorized,
    UnexpectedResponse,
)
from frontdoor_mcp.api.http import validate_api_url
from frontdoor_mcp.api.ids import InvalidIdError
from frontdoor_mcp.api.models import CertificatePage
from frontdoor_mcp.api.retry import RetryPolicy
from frontdoor_mcp.sandbox.runner import RunningSandbox
from tests.conftest import CANARY_TOKEN
from tests.helpers import make_certificate, make_csr

pytestmark = pytest.mark.anyio

FRONTDOOR = "3d6d2b6e-6c7a-4a7f-8c3d-9a9d2e1f0b1c"
CERT = "cert-123e4567-e89b-12d3-a456-426614174000"
BASE = "https://gateway.example.test/frontdoor"


def _sandbox_client(sandbox: RunningSandbox, **kwargs: Any) -> FrontdoorClient:
    return FrontdoorClient(sandbox.base_url, BearerToken(Secret(sandbox.token), source="test"), **kwargs)


async def test_every_operation_against_the_sandbox(sandbox: RunningSandbox) -> None:
    fid = sandbox.frontdoor_id
    async with _sandbox_client(sandbox) as client:
        created = (await client.create_certificate(fid, "api-client-prod", make_certificate())).certificate
        assert created.id.startswith("cert-") and created.created_by == sandbox.username
        csr_pem, _ = make_csr("from-csr")
        signed = (await client.create_certificate(fid, "generated", csr_pem)).certificate
        got = await client.get_certificate(fid, signed.id)
        assert got.value and got.value.startswith("-----BEGIN CERTIFICATE-----")
        page = await client.list_certificates(fid, size=1, sort="name,asc")
        assert [item.name for item in page.items] == ["api-client-prod"] and page.total_pages == 2
        patched = (await client.patch_certificate(fid, created.id, name="renamed")).certificate
        assert patched.name == "renamed"
        replaced = await client.put_certificate(fid, created.id, name="replaced", value=make_certificate("new"))
        assert replaced.name == "replaced"
        deleted = await client.delete_certificate(fid, created.id)
        assert deleted.deleted_at is not None and deleted.deleted_by == sandbox.username
        with pytest.raises(NotFound):
            await client.get_certificate(fid, created.id)
        items, total = await client.list_all_certificates(fid, page_size=1)
        assert [item.id for item in items] == [signed.id] and total == 1


async def test_hal_shape_reads_the_same(sandbox: RunningSandbox) -> None:
    fid = sandbox.frontdoor_id
    async with _sandbox_client(sandbox) as plain, _sandbox_client(sandbox, accept="application/hal+json") as hal:
        for number in range(3):
            await plain.create_certificate(fid, f"n{number}", make_certificate())
        a = await plain.list_certificates(fid, size=2, sort="name,desc")
        b = await hal.list_certificates(fid, size=2, sort="name,desc")
    assert a == b and [item.name for item in a.items] == ["n2", "n1"]


async def test_basic_auth_works(sandbox: RunningSandbox) -> None:
    credential = BasicToken("someone", Secret(sandbox.token), source="test")
    async with FrontdoorClient(sandbox.base_url, credential) as client:
        page = await client.list_certificates(sandbox.frontdoor_id)
    assert page.total_elements == 0


async def test_documented_errors_map_to_classes(sandbox: RunningSandbox) -> None:
    async with _sandbox_client(sandbox) as client:
        with pytest.raises(Forbidden) as forbidden:
            await client.list_certificates(sandbox.add_frontdoor())
        assert forbidden.value.error == "not_found"
        with pytest.raises(BadRequest) as bad:
            await client.create_certificate(sandbox.frontdoor_id, "x", "not a pem")
        assert bad.value.error == "invalid_request"
    async with FrontdoorClient(sandbox.base_url, BearerToken(Secret("nope"), source="t")) as client:
        with pytest.raises(Unauthorized) as unauthorized:
            await client.list_certificates(sandbox.frontdoor_id)
    assert unauthorized.value.error == "unauthorized" and unauthorized.value.server_date is not None


def test_page_envelopes_both_shapes() -> None:
    item = {"id": CERT, "name": "a", "frontdoorId": FRONTDOOR, "createdAt": "2024-01-15T10:30:00Z", "createdBy": "u"}
    plain = {"content": [item], "pageable": {"pageNumber": 0, "pageSize": 20}, "totalElements": 1, "totalPages": 1}
    hal = {
        "_embedded": {"clientCertificates": [item]},
        "page": {"size": 20, "totalElements": 1, "totalPages": 1, "number": 0},
        "_links": {"self": {"href": "x"}},
    }
    assert CertificatePage.from_wire(plain) == CertificatePage.from_wire(hal)


@pytest.mark.parametrize(
    "url", ["http://gateway.example.test/frontdoor", "ftp://x/y", "https://user:pw@x/frontdoor", "https://x/f?q=1"]
)
def test_api_url_rules(url: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case fails a different rule; the message is tested elsewhere
        validate_api_url(url)
    assert validate_api_url("http://127.0.0.1:8080/frontdoor/") == "http://127.0.0.1:8080/frontdoor"


# MockTransport: retries, timing and odd answers --------------------------------------------------------------


def _mock(handler: Callable[[httpx2.Request], httpx2.Response]) -> tuple[FrontdoorClient, list[float]]:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = FrontdoorClient(
        BASE, BearerToken(Secret(CANARY_TOKEN), source="t"), transport=httpx2.MockTransport(handler), sleep=sleep
    )
    return client, sleeps


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx2.Response:
    return httpx2.Response(
        status, content=json.dumps(body).encode(), headers={"content-type": "application/json", **(headers or {})}
    )


EMPTY_PAGE: dict[str, Any] = {
    "content": [],
    "pageable": {"pageNumber": 0, "pageSize": 20},
    "totalElements": 0,
    "totalPages": 0,
}


async def test_get_retries_503_honouring_retry_after_then_succeeds() -> None:
    calls: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(request)
        if len(calls) < 3:
            return _json(503, {"error": "unavailable"}, {"retry-after": "2"})
        return _json(200, EMPTY_PAGE)

    client, sleeps = _mock(handler)
    page = await client.list_certificates(FRONTDOOR)
    assert page.total_elements == 0 and len(calls) == 3 and sleeps == [2.0, 2.0]
    assert calls[0].headers["user-agent"].startswith("frontdoor-mcp/")
    assert calls[0].url.path == f"/frontdoor/{FRONTDOOR}/client-certificates"


async def test_retry_after_over_a_minute_fails_at_once() -> None:
    client, sleeps = _mock(lambda request: _json(429, {"error": "slow down"}, {"retry-after": "120"}))
    with pytest.raises(RateLimited) as caught:
        await client.get_certificate(FRONTDOOR, CERT)
    assert caught.value.retry_after == 120 and sleeps == []


async def test_three_attempts_at_most_with_capped_backoff() -> None:
    calls: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(1)
        return _json(502, {})

    client, sleeps = _mock(handler)
    with pytest.raises(ServerError):
        await client.get_certificate(FRONTDOOR, CERT)
    assert len(calls) == 3 and len(sleeps) == 2 and all(0 < s <= 8 for s in sleeps)


async def test_post_is_never_retried_on_503() -> None:
    calls: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.method == "GET":
            return _json(200, EMPTY_PAGE)  # the look at what exists before the create
        calls.append(1)
        return _json(503, {})

    client, _ = _mock(handler)
    with pytest.raises(OutcomeUnknown):  # a 5xx may have committed it: looked for, not repeated
        await client.create_certificate(FRONTDOOR, "x", "pem")
    assert len(calls) == 1


async def test_connect_failure_is_retried_for_get_and_reported() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    client, sleeps = _mock(handler)
    with pytest.raises(ConnectFailure) as caught:
        await client.list_certificates(FRONTDOOR)
    assert len(sleeps) == 2 and CANARY_TOKEN not in repr(caught.value) + str(caught.value)


async def test_lost_create_is_recovered_by_looking_not_by_repeating() -> None:
    posts: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.method == "POST":
            posts.append(1)
            raise httpx2.RemoteProtocolError("dropped", request=request)
        if not posts:
            return _json(200, EMPTY_PAGE)  # before the create: not there yet
        from datetime import UTC, datetime

        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        item = {"id": CERT, "name": "wanted", "frontdoorId": FRONTDOOR, "createdAt": now, "createdBy": "u"}
        return _json(200, {**EMPTY_PAGE, "content": [item], "totalElements": 1, "totalPages": 1})

    client, _ = _mock(handler)
    created = await client.create_certificate(FRONTDOOR, "wanted", "pem")
    assert created.recovered and created.certificate.id == CERT and posts == [1]


async def test_lost_create_with_nothing_found_is_outcome_unknown() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.method == "POST":
            raise httpx2.ReadTimeout("slow", request=request)
        return _json(200, EMPTY_PAGE)

    client, _ = _mock(handler)
    with pytest.raises(OutcomeUnknown):
        await client.create_certificate(FRONTDOOR, "wanted", "pem")


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx2.Response(200, content=b"<html>oops</html>", headers={"content-type": "text/html"}), "HTML"),
        (
            httpx2.Response(200, content=b'{"content": [', headers={"content-type": "application/json"}),
            "not valid JSON",
        ),
        (httpx2.Response(302, headers={"location": "https://evil.test/"}), "redirect"),
    ],
)
async def test_odd_answers_become_unexpected_response(response: httpx2.Response, reason: str) -> None:
    client, _ = _mock(lambda request: response)
    with pytest.raises(UnexpectedResponse) as caught:
        await client.list_certificates(FRONTDOOR)
    assert reason in str(caught.value)


async def test_ids_are_validated_before_a_path_is_built() -> None:
    client, _ = _mock(lambda request: pytest.fail("no request may be sent"))
    for bad in ("../x", "cert-a/b", "cert-a?x=1", "cert-%2e%2e", "", "cert-"):
        with pytest.raises(InvalidIdError):
            await client.get_certificate(FRONTDOOR, bad)
    with pytest.raises(InvalidIdError):
        await client.list_certificates("not-a-uuid")


async def test_error_body_echoing_the_token_never_reaches_the_exception() -> None:
    echoed = {
        "error": "unauthorized",
        "message": "Bearer token is missing or invalid",
        "headers": {"authorization": f"Bearer {CANARY_TOKEN}"},
    }
    client, _ = _mock(lambda request: _json(401, echoed))
    with pytest.raises(Unauthorized) as caught:
        await client.list_certificates(FRONTDOOR)
    assert CANARY_TOKEN not in repr(caught.value) + str(caught.value) + repr(vars(caught.value))


def test_retry_policy_bounds() -> None:
    policy = RetryPolicy()
    assert policy.delay_for(3, None) is None
    assert policy.delay_for(1, 61) is None
    assert all(0 < policy.backoff(attempt) <= 8 for attempt in range(1, 10))
