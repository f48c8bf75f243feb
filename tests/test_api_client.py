"""The API client: against the real sandbox for behaviour, with MockTransport for what a server can't easily do."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx2
import pytest

from frontdoor_mcp.api.auth import BasicToken, BearerToken, Secret
from frontdoor_mcp.api.client import FrontdoorClient
from frontdoor_mcp.api.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    Unauthorized,
)
from frontdoor_mcp.api.ids import InvalidIdError
from frontdoor_mcp.api.models import CertificateSummary
from frontdoor_mcp.api.pages import parse_page
from frontdoor_mcp.sandbox.runner import RunningSandbox
from tests.support import certificate_item, certificate_page, json_response, make_certificate, make_csr, mock_client

pytestmark = pytest.mark.anyio

FRONTDOOR = "3d6d2b6e-6c7a-4a7f-8c3d-9a9d2e1f0b1c"
CERT = "cert-123e4567-e89b-12d3-a456-426614174000"
BASE = "https://gateway.example.test/frontdoor"


def _sandbox_client(sandbox: RunningSandbox, **kwargs: Any) -> FrontdoorClient:
    return FrontdoorClient(sandbox.base_url, BearerToken(Secret(sandbox.token), source="test"), **kwargs)


async def test_every_operation_against_the_sandbox(sandbox: RunningSandbox) -> None:
    fid = sandbox.frontdoor_id
    async with _sandbox_client(sandbox) as client:
        created = (await client.certificates.create(fid, "api-client-prod", make_certificate())).certificate
        assert created.id.startswith("cert-") and created.created_by == sandbox.username
        csr_pem, _ = make_csr("from-csr")
        signed = (await client.certificates.create(fid, "generated", csr_pem)).certificate
        got = await client.certificates.get(fid, signed.id)
        assert got.value and got.value.startswith("-----BEGIN CERTIFICATE-----")
        page = await client.certificates.list(fid, size=1, sort="name,asc")
        assert [item.name for item in page.items] == ["api-client-prod"] and page.total_pages == 2
        patched = (await client.certificates.patch(fid, created.id, name="renamed")).certificate
        assert patched.name == "renamed"
        replaced = await client.certificates.put(fid, created.id, name="replaced", value=make_certificate("new"))
        assert replaced.name == "replaced"
        deleted = await client.certificates.delete(fid, created.id)
        assert deleted.deleted_at is not None and deleted.deleted_by == sandbox.username
        with pytest.raises(NotFound):
            await client.certificates.get(fid, created.id)
        items, walked = await client.certificates.list_all(fid, page_size=1)
        assert [item.id for item in items] == [signed.id] and walked.total == 1 and walked.complete


async def test_hal_shape_reads_the_same(sandbox: RunningSandbox) -> None:
    fid = sandbox.frontdoor_id
    async with _sandbox_client(sandbox) as plain, _sandbox_client(sandbox, accept="application/hal+json") as hal:
        for number in range(3):
            await plain.certificates.create(fid, f"n{number}", make_certificate())
        a = await plain.certificates.list(fid, size=2, sort="name,desc")
        b = await hal.certificates.list(fid, size=2, sort="name,desc")
    assert (a.shape, b.shape) == ("guide", "hal")
    assert a == dataclasses.replace(b, shape="guide") and [item.name for item in a.items] == ["n2", "n1"]


async def test_basic_auth_works(sandbox: RunningSandbox) -> None:
    credential = BasicToken("someone", Secret(sandbox.token), source="test")
    async with FrontdoorClient(sandbox.base_url, credential) as client:
        page = await client.certificates.list(sandbox.frontdoor_id)
    assert page.total_elements == 0


async def test_documented_errors_map_to_classes(sandbox: RunningSandbox) -> None:
    async with _sandbox_client(sandbox) as client:
        with pytest.raises(Forbidden) as forbidden:
            await client.certificates.list(sandbox.add_frontdoor())
        assert forbidden.value.error == "not_found"
        with pytest.raises(BadRequest) as bad:
            await client.certificates.create(sandbox.frontdoor_id, "x", "not a pem")
        assert bad.value.error == "invalid_request"
    async with FrontdoorClient(sandbox.base_url, BearerToken(Secret("nope"), source="t")) as client:
        with pytest.raises(Unauthorized) as unauthorized:
            await client.certificates.list(sandbox.frontdoor_id)
    assert unauthorized.value.error == "unauthorized" and unauthorized.value.server_date is not None


def test_page_envelopes_both_shapes() -> None:
    item = {"id": CERT, "name": "a", "frontdoorId": FRONTDOOR, "createdAt": "2024-01-15T10:30:00Z", "createdBy": "u"}
    plain = {"content": [item], "pageable": {"pageNumber": 0, "pageSize": 20}, "totalElements": 1, "totalPages": 1}
    hal = {
        "_embedded": {"clientCertificates": [item]},
        "page": {"size": 20, "totalElements": 1, "totalPages": 1, "number": 0},
        "_links": {"self": {"href": "x"}},
    }
    from_plain, from_hal = parse_page(plain, CertificateSummary), parse_page(hal, CertificateSummary)
    assert (from_plain.shape, from_hal.shape) == ("guide", "hal")
    assert from_plain == dataclasses.replace(from_hal, shape="guide")


async def test_ids_are_validated_before_a_path_is_built() -> None:
    client = mock_client(lambda request: pytest.fail("no request may be sent"))
    for bad in ("../x", "cert-a/b", "cert-a?x=1", "cert-%2e%2e", "", "cert-"):
        with pytest.raises(InvalidIdError):
            await client.certificates.get(FRONTDOOR, bad)
    with pytest.raises(InvalidIdError):
        await client.certificates.list("not-a-uuid")


async def test_a_failed_later_page_raises_its_own_error_not_an_exception_group() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        number = int(request.url.params["page"])
        if number == 2:
            return json_response(403, {"error": "not_found", "message": "Frontdoor not found"})
        return json_response(200, certificate_page([certificate_item(f"cert-p{number}")], number=number, total_pages=4))

    with pytest.raises(Forbidden):
        await mock_client(handler).certificates.list_all(FRONTDOOR, page_size=1)


async def test_other_exceptions_in_a_walk_are_not_swallowed() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        number = int(request.url.params["page"])
        return json_response(200, certificate_page([certificate_item(f"cert-p{number}")], number=number, total_pages=3))

    async def on_progress(done: int, _total: int | None) -> None:
        if done > 1:
            raise RuntimeError("a progress callback bug")

    with pytest.raises(ExceptionGroup) as caught:
        await mock_client(handler).certificates.list_all(FRONTDOOR, page_size=1, on_progress=on_progress)
    assert caught.value.subgroup(RuntimeError) is not None
