"""A write whose answer is lost or odd: the client looks before it reports, so nothing is lost or duplicated."""

from __future__ import annotations

from collections.abc import Callable

import httpx2
import pytest

from frontdoor_mcp.api.errors import OutcomeUnknown, UnexpectedResponse
from tests.support import CERT, EMPTY_PAGE, FRONTDOOR, certificate_item, certificate_page, json_response, mock_client

pytestmark = pytest.mark.anyio

Handler = Callable[[httpx2.Request], httpx2.Response]


def _create_handler(post: Handler, *, found_after: bool = True) -> tuple[Handler, list[str]]:
    """POST answered by `post`; a list of the newest shows nothing before it and, if `found_after`, the
    certificate after it."""
    posts: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.method == "POST":
            posts.append(request.method)
            return post(request)
        return json_response(200, certificate_page([certificate_item()] if posts and found_after else []))

    return handler, posts


async def test_lost_create_is_recovered_by_looking_not_by_repeating() -> None:
    posts: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.method == "POST":
            posts.append(1)
            raise httpx2.RemoteProtocolError("dropped", request=request)
        if not posts:
            return json_response(200, EMPTY_PAGE)  # before the create: not there yet
        from datetime import UTC, datetime

        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        item = {"id": CERT, "name": "wanted", "frontdoorId": FRONTDOOR, "createdAt": now, "createdBy": "u"}
        return json_response(200, {**EMPTY_PAGE, "content": [item], "totalElements": 1, "totalPages": 1})

    client = mock_client(handler)
    created = await client.certificates.create(FRONTDOOR, "wanted", "pem")
    assert created.recovered and created.certificate.id == CERT and posts == [1]


async def test_lost_create_with_nothing_found_is_outcome_unknown() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.method == "POST":
            raise httpx2.ReadTimeout("slow", request=request)
        return json_response(200, EMPTY_PAGE)

    client = mock_client(handler)
    with pytest.raises(OutcomeUnknown):
        await client.certificates.create(FRONTDOOR, "wanted", "pem")


async def test_a_create_answered_2xx_in_an_undocumented_shape_is_looked_for_not_failed() -> None:
    handler, posts = _create_handler(lambda request: json_response(201, {"id": CERT, "unexpected": True}))
    created = await mock_client(handler).certificates.create(FRONTDOOR, "wanted", "pem")
    assert created.recovered and created.certificate.id == CERT and posts == ["POST"]


async def test_a_create_answered_2xx_in_an_undocumented_shape_and_not_found_is_outcome_unknown() -> None:
    handler, _ = _create_handler(lambda request: json_response(201, ["not", "an", "object"]), found_after=False)
    with pytest.raises(OutcomeUnknown) as caught:
        await mock_client(handler).certificates.create(FRONTDOOR, "wanted", "pem")
    assert "undocumented shape" in caught.value.reason


async def test_an_undocumented_shape_reports_the_real_status() -> None:
    client = mock_client(lambda request: json_response(201, {"unexpected": True}))
    with pytest.raises(UnexpectedResponse) as caught:
        await client.certificates.put(FRONTDOOR, CERT, name="n", value="pem")
    assert caught.value.status_code == 201 and "HTTP 201" in str(caught.value)


@pytest.mark.parametrize("status", [500, 503])
async def test_a_create_answered_5xx_is_looked_for(status: int) -> None:
    handler, posts = _create_handler(lambda request: json_response(status, {"error": "internal_error"}))
    created = await mock_client(handler).certificates.create(FRONTDOOR, "wanted", "pem")
    assert created.recovered and created.certificate.id == CERT and posts == ["POST"]


async def test_a_patch_answered_500_is_read_back() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.method == "PATCH":
            return json_response(500, {"error": "internal_error"})
        return json_response(200, {**certificate_item(name="renamed"), "value": "pem"})

    updated = await mock_client(handler).certificates.patch(FRONTDOOR, CERT, name="renamed")
    assert updated.recovered and updated.certificate.name == "renamed"


async def test_a_failed_look_after_a_lost_create_says_so() -> None:
    posts: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.method == "POST":
            posts.append(1)
            raise httpx2.ReadTimeout("slow", request=request)
        if posts:  # the look afterwards
            return json_response(403, {"error": "not_found", "message": "Frontdoor not found"})
        return json_response(200, certificate_page([]))

    with pytest.raises(OutcomeUnknown) as caught:
        await mock_client(handler).certificates.create(FRONTDOOR, "wanted", "pem")
    assert "checking afterwards failed" in caught.value.reason
    assert "no certificate" not in caught.value.reason


async def test_a_lost_patch_whose_read_back_fails_is_outcome_unknown() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.method == "PATCH":
            raise httpx2.RemoteProtocolError("dropped", request=request)
        raise httpx2.ConnectError("refused", request=request)  # the read-back: "nothing was sent", of the GET

    with pytest.raises(OutcomeUnknown) as caught:
        await mock_client(handler).certificates.patch(FRONTDOOR, CERT, name="renamed")
    assert caught.value.method == "PATCH" and "checking afterwards failed" in caught.value.reason


@pytest.mark.parametrize("response", [httpx2.Response(204), httpx2.Response(200, content=b"")])
async def test_a_delete_answered_2xx_without_a_body_is_a_delete(response: httpx2.Response) -> None:
    deleted = await mock_client(lambda request: response).certificates.delete(FRONTDOOR.upper(), CERT)
    assert (deleted.id, deleted.frontdoor_id, deleted.name) == (CERT, FRONTDOOR, None)
