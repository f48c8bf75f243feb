"""The sandbox over real HTTP: every certificate operation, both list shapes, auth, paging and sorting, the
OpenAPI document. Certificate input (CSR signing, 400s) is test_sandbox_certificate_input.py; OAuth is
test_sandbox_oauth.py."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, cast

import httpx2
import pytest

from frontdoor_mcp.sandbox.runner import RunningSandbox
from tests.sandbox_curl.clients import new_client
from tests.sandbox_curl.pems import (
    certificate_pem,
)

Json = dict[str, Any]

CERT_ID = re.compile(r"^cert-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
SUMMARY_KEYS = {"id", "name", "frontdoorId", "createdAt", "createdBy"}
DETAIL_KEYS = SUMMARY_KEYS | {"value"}
DELETED_KEYS = {"id", "name", "frontdoorId", "deletedAt", "deletedBy"}
UNAUTHORIZED = {"error": "unauthorized", "message": "Bearer token is missing or invalid"}
GUIDE_BAD_CERT = (
    "-----BEGIN CERTIFICATE-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAryQICCl6NZ5gDKrnSztO\n"
    "FQIDAQAB\n-----END CERTIFICATE-----"
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(sandbox: RunningSandbox) -> Iterator[httpx2.Client]:
    """A client rooted at this sandbox's frontdoor, authenticated with its token."""
    with new_client(
        base_url=f"{sandbox.base_url}/{sandbox.frontdoor_id}",
        headers={**bearer(sandbox.token), "Accept": "application/json"},
    ) as client:
        yield client


@pytest.fixture
def raw() -> Iterator[httpx2.Client]:
    """A client with no base URL and no credentials."""
    with new_client() as client:
        yield client


def body(response: httpx2.Response) -> Json:
    return cast(Json, response.json())


def create(api: httpx2.Client, name: str, value: str | None = None, **extra: Any) -> Json:
    response = api.post("/client-certificates", json={"name": name, "value": value or certificate_pem(), **extra})
    assert response.status_code == 201, response.text
    return body(response)


def error_of(response: httpx2.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    payload = body(response)
    assert set(payload) == {"error", "message"}
    return str(payload["message"])


# operations and shapes ---------------------------------------------------------------------------------


def test_empty_list_has_the_guide_shape_and_a_date_header(api: httpx2.Client) -> None:
    response = api.get("/client-certificates", params={"page": 0, "size": 20, "sort": "name,asc"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert body(response) == {
        "content": [],
        "pageable": {"pageNumber": 0, "pageSize": 20},
        "totalElements": 0,
        "totalPages": 0,
    }
    sent = parsedate_to_datetime(response.headers["date"])
    assert abs((sent - datetime.now(UTC)).total_seconds()) < 5
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT", response.headers["date"])
    assert "server" not in response.headers


def test_upload_then_get_list_patch_put_delete(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    pem = certificate_pem("client.example.com")
    created_response = api.post("/client-certificates", json={"name": "api-client-prod", "value": pem})
    assert created_response.status_code == 201
    created = body(created_response)
    assert set(created) == SUMMARY_KEYS
    assert CERT_ID.match(created["id"])
    assert INSTANT.match(created["createdAt"])
    assert created["name"] == "api-client-prod"
    assert created["frontdoorId"] == sandbox.frontdoor_id
    assert created["createdBy"] == sandbox.username
    cert_url = f"{sandbox.base_url}/{sandbox.frontdoor_id}/client-certificates/{created['id']}"
    assert created_response.headers["location"] == cert_url

    fetched = body(api.get(f"/client-certificates/{created['id']}"))
    assert fetched == {**created, "value": pem}  # an upload is stored exactly as given

    listed = body(api.get("/client-certificates"))
    assert listed["content"] == [created]  # list items carry no value
    assert listed["totalElements"] == 1
    assert listed["totalPages"] == 1

    patched = api.patch(f"/client-certificates/{created['id']}", json={"name": "updated-client-cert-name"})
    assert patched.status_code == 200
    assert body(patched) == {**fetched, "name": "updated-client-cert-name"}

    unchanged = api.patch(f"/client-certificates/{created['id']}", json={})
    assert unchanged.status_code == 200
    assert body(unchanged) == body(patched)

    replacement = certificate_pem("replaced.example.com")
    put = api.put(f"/client-certificates/{created['id']}", json={"name": "fully-updated", "value": replacement})
    assert put.status_code == 200
    assert body(put) == {**created, "name": "fully-updated", "value": replacement}

    deleted_response = api.delete(f"/client-certificates/{created['id']}")
    assert deleted_response.status_code == 200
    deleted = body(deleted_response)
    assert set(deleted) == DELETED_KEYS
    assert deleted["id"] == created["id"]
    assert deleted["name"] == "fully-updated"
    assert deleted["frontdoorId"] == sandbox.frontdoor_id
    assert deleted["deletedBy"] == sandbox.username
    assert INSTANT.match(deleted["deletedAt"])


def test_delete_is_soft(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    keep = create(api, "keep")
    gone = create(api, "gone")
    assert api.delete(f"/client-certificates/{gone['id']}").status_code == 200

    not_found = {"error": "not_found", "message": f"Client certificate {gone['id']} not found"}
    for response in (
        api.get(f"/client-certificates/{gone['id']}"),
        api.patch(f"/client-certificates/{gone['id']}", json={"name": "x"}),
        api.put(f"/client-certificates/{gone['id']}", json={"name": "x", "value": certificate_pem()}),
        api.delete(f"/client-certificates/{gone['id']}"),
    ):
        assert response.status_code == 404
        assert body(response) == not_found
    listed = body(api.get("/client-certificates"))
    assert [c["id"] for c in listed["content"]] == [keep["id"]]
    assert listed["totalElements"] == 1

    row = sandbox.store.get_any_certificate(gone["id"])  # the row stays, marked
    assert row is not None
    assert row.deleted_us is not None
    assert row.deleted_by == sandbox.username


def test_unknown_certificate_is_404_with_the_exact_body(api: httpx2.Client) -> None:
    response = api.get("/client-certificates/cert-123e4567-e89b-12d3-a456-426614174000")
    assert response.status_code == 404
    assert body(response) == {
        "error": "not_found",
        "message": "Client certificate cert-123e4567-e89b-12d3-a456-426614174000 not found",
    }


def test_certificates_of_another_frontdoor_are_not_visible(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    other = sandbox.add_frontdoor()
    both = sandbox.add_token([sandbox.frontdoor_id, other], user="user-both")
    mine = create(api, "mine")
    response = api.get(f"{sandbox.base_url}/{other}/client-certificates/{mine['id']}", headers=bearer(both))
    assert response.status_code == 404
    listed = body(api.get(f"{sandbox.base_url}/{other}/client-certificates", headers=bearer(both)))
    assert listed["totalElements"] == 0


# authentication and authorization --------------------------------------------------------------------------


def test_missing_token_is_401_with_bearer_challenge(raw: httpx2.Client, sandbox: RunningSandbox) -> None:
    url = f"{sandbox.base_url}/{sandbox.frontdoor_id}/client-certificates"
    response = raw.get(url)
    assert response.status_code == 401
    assert body(response) == UNAUTHORIZED
    assert response.headers["www-authenticate"] == "Bearer"
    assert "date" in response.headers


@pytest.mark.parametrize(
    "header",
    [
        "Bearer nope-not-a-token",
        "Bearer  {token}",  # two spaces
        "Bearer {token} extra",
        'Bearer "{token}"',
        "Bearer Bearer {token}",
        "Token {token}",
        "{token}",
        "Basic !!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"user:wrong").decode(),
        "Bearer a.b.c",
    ],
)
def test_bad_credentials_are_401(raw: httpx2.Client, sandbox: RunningSandbox, header: str) -> None:
    url = f"{sandbox.base_url}/{sandbox.frontdoor_id}/client-certificates"
    authorization = [(b"authorization", header.replace("{token}", sandbox.token).encode())]
    response = raw.get(url, headers=authorization)
    assert response.status_code == 401
    assert body(response) == UNAUTHORIZED
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_scheme_is_case_insensitive(raw: httpx2.Client, sandbox: RunningSandbox) -> None:
    url = f"{sandbox.base_url}/{sandbox.frontdoor_id}/client-certificates"
    response = raw.get(url, headers={"Authorization": f"bearer {sandbox.token}"})
    assert response.status_code == 200


def test_basic_auth_username_and_token(sandbox: RunningSandbox) -> None:
    credentials = base64.b64encode(f"someone:{sandbox.token}".encode()).decode()
    with new_client(
        base_url=f"{sandbox.base_url}/{sandbox.frontdoor_id}",
        headers={"Authorization": f"Basic {credentials}"},
    ) as client:
        assert client.get("/client-certificates").status_code == 200
        created = create(client, "via-basic")
        assert created["createdBy"] == sandbox.username  # the token's user, not the Basic user-id


def test_other_frontdoor_is_403_with_the_exact_body(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    other = sandbox.add_frontdoor()
    never_created = str(uuid.uuid4())
    for fid in (other, never_created, never_created.upper()):
        for response in (
            api.get(f"{sandbox.base_url}/{fid}/client-certificates"),
            api.post(f"{sandbox.base_url}/{fid}/client-certificates", json={"name": "x", "value": certificate_pem()}),
            api.get(f"{sandbox.base_url}/{fid}/client-certificates/cert-x"),
            api.delete(f"{sandbox.base_url}/{fid}/client-certificates/cert-x"),
        ):
            assert response.status_code == 403
            assert body(response) == {"error": "not_found", "message": f"Frontdoor {fid.lower()} not found"}
    other_token = sandbox.add_token([other], user="user-other")
    assert api.get(f"{sandbox.base_url}/{other}/client-certificates", headers=bearer(other_token)).status_code == 200
    assert api.get("/client-certificates", headers=bearer(other_token)).status_code == 403


# paging and sorting ------------------------------------------------------------------------------------------


@pytest.fixture
def five(api: httpx2.Client) -> list[Json]:
    pem = certificate_pem()
    return [create(api, n, pem) for n in ("delta", "alpha", "echo", "charlie", "bravo")]


def names(api: httpx2.Client, **params: Any) -> list[str]:
    response = api.get("/client-certificates", params=params)
    assert response.status_code == 200, response.text
    return [c["name"] for c in body(response)["content"]]


def test_sorting_by_both_fields_and_directions(api: httpx2.Client, five: list[Json]) -> None:
    inserted = [c["name"] for c in five]
    assert names(api) == inserted  # default: createdAt asc, ties broken by insertion order
    assert names(api, sort="createdAt,asc") == inserted
    assert names(api, sort="createdAt,desc") == inserted[::-1]
    assert names(api, sort="createdAt,DESC") == inserted[::-1]
    assert names(api, sort="name,asc") == sorted(inserted)
    assert names(api, sort="name") == sorted(inserted)
    assert names(api, sort="name,desc") == sorted(inserted, reverse=True)


def test_sorting_by_two_properties(api: httpx2.Client) -> None:
    pem = certificate_pem()
    for n in ("b", "a", "b", "a"):
        create(api, n, pem)
    response = body(api.get("/client-certificates", params=[("sort", "name,asc"), ("sort", "createdAt,desc")]))
    ordered = [(c["name"], c["id"]) for c in response["content"]]
    assert [n for n, _ in ordered] == ["a", "a", "b", "b"]
    by_insertion = [c["id"] for c in body(api.get("/client-certificates"))["content"]]
    assert [i for _, i in ordered] == [by_insertion[3], by_insertion[1], by_insertion[2], by_insertion[0]]


def test_paging(api: httpx2.Client, five: list[Json]) -> None:
    inserted = [c["name"] for c in five]
    pages = [body(api.get("/client-certificates", params={"page": p, "size": 2})) for p in range(4)]
    assert [[c["name"] for c in page["content"]] for page in pages] == [inserted[0:2], inserted[2:4], inserted[4:], []]
    for number, page in enumerate(pages):
        assert page["pageable"] == {"pageNumber": number, "pageSize": 2}
        assert page["totalElements"] == 5
        assert page["totalPages"] == 3


@pytest.mark.parametrize(
    ("params", "page", "size"),
    [
        ({"page": -1}, 0, 20),
        ({"page": "x"}, 0, 20),
        ({"page": 99999999999}, 0, 20),
        ({"size": 0}, 0, 20),
        ({"size": -5}, 0, 20),
        ({"size": "big"}, 0, 20),
        ({"size": 5000}, 0, 2000),
        ({"page": 3, "size": 7}, 3, 7),
    ],
)
def test_paging_parameters_are_read_as_spring_reads_them(
    api: httpx2.Client, params: dict[str, Any], page: int, size: int
) -> None:
    response = body(api.get("/client-certificates", params=params))
    assert response["pageable"] == {"pageNumber": page, "pageSize": size}


def test_hal_list_shape_and_links(api: httpx2.Client, sandbox: RunningSandbox, five: list[Json]) -> None:
    hal = {"Accept": "application/hal+json"}
    response = api.get("/client-certificates", params={"page": 1, "size": 2, "sort": "name,asc"}, headers=hal)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    page = body(response)
    items = page["_embedded"]["clientCertificates"]
    assert [c["name"] for c in items] == ["charlie", "delta"]
    base = f"{sandbox.base_url}/{sandbox.frontdoor_id}/client-certificates"
    for item in items:
        assert set(item) == SUMMARY_KEYS | {"_links"}
        assert item["_links"]["self"]["href"] == f"{base}/{item['id']}"
    assert page["page"] == {"size": 2, "totalElements": 5, "totalPages": 3, "number": 1}
    links = {rel: link["href"] for rel, link in page["_links"].items()}
    assert links == {
        "first": f"{base}?page=0&size=2&sort=name,asc",
        "prev": f"{base}?page=0&size=2&sort=name,asc",
        "self": f"{base}?page=1&size=2&sort=name,asc",
        "next": f"{base}?page=2&size=2&sort=name,asc",
        "last": f"{base}?page=2&size=2&sort=name,asc",
    }
    first = body(api.get("/client-certificates", params={"size": 2}, headers=hal))
    assert set(first["_links"]) == {"first", "self", "next", "last"}
    single = body(api.get("/client-certificates", params={"size": 20}, headers=hal))
    assert set(single["_links"]) == {"self"}
    assert len(single["_embedded"]["clientCertificates"]) == 5


def test_hal_empty_page_and_single_resources(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    hal = {"Accept": "application/hal+json"}
    empty = body(api.get("/client-certificates", headers=hal))
    assert "_embedded" not in empty  # Spring HATEOAS omits an empty _embedded
    assert empty["page"] == {"size": 20, "totalElements": 0, "totalPages": 0, "number": 0}

    created_response = api.post("/client-certificates", json={"name": "h", "value": certificate_pem()}, headers=hal)
    assert created_response.status_code == 201
    assert created_response.headers["content-type"] == "application/hal+json"
    created = body(created_response)
    url = f"{sandbox.base_url}/{sandbox.frontdoor_id}/client-certificates/{created['id']}"
    assert created["_links"] == {"self": {"href": url}}
    assert set(created) == SUMMARY_KEYS | {"_links"}
    fetched = body(api.get(f"/client-certificates/{created['id']}", headers=hal))
    assert set(fetched) == DETAIL_KEYS | {"_links"}
    assert fetched["_links"]["self"]["href"] == url
    both = {"Accept": "application/hal+json, application/json"}
    assert api.get("/client-certificates", headers=both).headers["content-type"] == "application/hal+json"


# the handle and the layer ----------------------------------------------------------------------------------


def test_repr_hides_credentials(sandbox: RunningSandbox) -> None:
    shown = repr(sandbox)
    assert sandbox.token not in shown
    assert sandbox.client_secret not in shown
    assert sandbox.admin_token not in shown
    assert sandbox.frontdoor_id in shown


def test_package_import_is_free_and_the_sandbox_stays_in_its_layer() -> None:
    probe = (
        "import sys, frontdoor_mcp.sandbox as s; assert 'uvicorn' not in sys.modules, 'package import not free';"
        "import frontdoor_mcp.sandbox.runner;"
        "bad = [m for m in sys.modules if m.split('.')[:2] in (['frontdoor_mcp', 'tools'], ['frontdoor_mcp', 'app'],"
        " ['frontdoor_mcp', 'api'], ['frontdoor_mcp', 'cli'])]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=30)
