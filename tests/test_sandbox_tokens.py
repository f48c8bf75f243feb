"""Certificate request tokens over real HTTP: the resource, create/list/get/update/delete, paging and sorting,
and every 400 of the create body. Redemption is in test_sandbox_redemption.py."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, cast

import httpx2
import pytest

from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from tests.sandbox_curl.clients import new_client
from tests.sandbox_curl.pems import csr_pem

Json = dict[str, Any]
TOKENS = "/certificate-request-tokens"
TOKEN_ID = re.compile(r"^token-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TOKEN_STRING = re.compile(r"^crt_[0-9a-f]{32}$")
INSTANT = "%Y-%m-%dT%H:%M:%SZ"
FULL_KEYS = {
    "id",
    "name",
    "frontdoorId",
    "token",
    "commonName",
    "organization",
    "organizationalUnit",
    "expiresAt",
    "createdAt",
    "createdBy",
}
DELETED_KEYS = {"id", "name", "frontdoorId", "deletedAt", "deletedBy"}


@pytest.fixture(scope="module")
def shared() -> Iterator[RunningSandbox]:
    with start_sandbox() as running:
        yield running


@pytest.fixture
def api(shared: RunningSandbox) -> Iterator[httpx2.Client]:
    """A client on a fresh frontdoor of the module's sandbox (its token may use it): each test starts empty."""
    frontdoor_id = str(uuid.uuid4())
    shared.add_token([frontdoor_id], token=shared.token)
    with new_client(
        base_url=f"{shared.base_url}/{frontdoor_id}",
        headers={"Authorization": f"Bearer {shared.token}", "Accept": "application/json"},
    ) as client:
        yield client


def body(response: httpx2.Response) -> Json:
    return cast(Json, response.json())


def create(api: httpx2.Client, name: str, **fields: Any) -> Json:
    response = api.post(TOKENS, json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return body(response)


def url(api: httpx2.Client, path: str) -> str:
    """The absolute URL of `path` under the client's frontdoor."""
    return str(api.base_url).rstrip("/") + path


def error_of(response: httpx2.Response, status: int) -> str:
    assert response.status_code == status, response.text
    payload = body(response)
    assert set(payload) == {"error", "message"}
    return str(payload["message"])


def test_create_answers_201_with_location_and_the_whole_token(api: httpx2.Client, shared: RunningSandbox) -> None:
    fields = {"commonName": "api.example.com", "organization": "Example Corp", "organizationalUnit": "API Services"}
    response = api.post(TOKENS, json={"name": "api-service-cert", **fields, "validYears": 1})
    assert response.status_code == 201
    created = body(response)
    assert set(created) == FULL_KEYS  # validYears is not echoed; usedAt/clientCertificateId absent until used
    assert TOKEN_ID.match(created["id"])
    assert TOKEN_STRING.match(created["token"])
    assert created["name"] == "api-service-cert"
    assert {k: created[k] for k in fields} == fields
    assert created["createdBy"] == shared.username
    assert url(api, "").endswith(created["frontdoorId"])
    assert response.headers["location"] == url(api, f"{TOKENS}/{created['id']}")
    made = datetime.strptime(created["createdAt"], INSTANT)
    assert datetime.strptime(created["expiresAt"], INSTANT) - made == timedelta(days=7)

    assert body(api.get(f"{TOKENS}/{created['id']}")) == created
    listed = body(api.get(TOKENS))
    assert listed["content"] == [created]  # the token string is on every read, as the guide's list shows
    assert (listed["totalElements"], listed["totalPages"]) == (1, 1)


def test_null_fields_are_left_out_and_unknown_fields_ignored(api: httpx2.Client) -> None:
    created = create(api, "bare", organization=None, validYears=None, colour="blue")
    assert set(created) == FULL_KEYS - {"commonName", "organization", "organizationalUnit"}
    emptied = create(api, "empty-strings", commonName="", organizationalUnit="")
    assert "commonName" not in emptied
    assert "organizationalUnit" not in emptied


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "name is required"),
        ({"name": None}, "name is required"),
        ({"name": 5}, "Value for name must be of string"),
        ({"name": "  "}, "name must not be blank"),
        ({"name": "n" * 256}, "name size must be between 1 and 255"),
        ({"name": "n", "commonName": 7}, "Value for commonName must be of string"),
        ({"name": "n", "commonName": "c" * 65}, "commonName size must be between 0 and 64"),
        ({"name": "n", "organization": " "}, "organization must not be blank"),
        ({"name": "n", "organizationalUnit": "u" * 65}, "organizationalUnit size must be between 0 and 64"),
        ({"name": "n", "validYears": "1"}, "Value for validYears must be of integer"),
        ({"name": "n", "validYears": 1.5}, "Value for validYears must be of integer"),
        ({"name": "n", "validYears": 2.0}, "Value for validYears must be of integer"),
        ({"name": "n", "validYears": True}, "Value for validYears must be of integer"),
        ({"name": "n", "validYears": 0}, "validYears must be between 1 and 10"),
        ({"name": "n", "validYears": 11}, "validYears must be between 1 and 10"),
        ([{"name": "n"}], "Request body must be a JSON object"),
    ],
)
def test_create_rejects_bad_bodies_in_the_guides_shape(api: httpx2.Client, payload: object, message: str) -> None:
    response = api.post(TOKENS, json=payload)
    assert body(response) == {"error": "invalid_request", "message": message}
    assert response.status_code == 400


def test_limits_are_inclusive(api: httpx2.Client) -> None:
    created = create(api, "n" * 255, commonName="c" * 64, validYears=10)
    assert created["commonName"] == "c" * 64


def test_paging_and_sorting(api: httpx2.Client, shared: RunningSandbox) -> None:
    made = [create(api, name) for name in ("delta", "alpha", "charlie", "bravo")]
    names = [t["name"] for t in made]

    def listed(**params: Any) -> list[str]:
        return [t["name"] for t in body(api.get(TOKENS, params=params))["content"]]

    assert listed() == names  # createdAt ascending by default
    assert listed(sort="createdAt,desc") == names[::-1]
    assert listed(sort="name") == sorted(names)
    assert listed(sort="name,desc") == sorted(names, reverse=True)
    assert listed(sort="expiresAt,desc") == names[::-1]  # the same lifetime: expiry follows creation
    page = body(api.get(TOKENS, params={"page": 1, "size": 3, "sort": "name,asc"}))
    assert [t["name"] for t in page["content"]] == ["delta"]
    assert page["pageable"] == {"pageNumber": 1, "pageSize": 3}
    assert (page["totalElements"], page["totalPages"]) == (4, 2)
    bad = api.get(TOKENS, params={"sort": "token,asc"})
    assert error_of(bad, 400) == "No property 'token' found for type 'CertificateRequestToken'"


def test_hal_list_and_item(api: httpx2.Client) -> None:
    hal = {"Accept": "application/hal+json"}
    assert "_embedded" not in body(api.get(TOKENS, headers=hal))
    for name in ("a", "b", "c"):
        create(api, name)
    response = api.get(TOKENS, params={"size": 2, "sort": "name,asc"}, headers=hal)
    assert response.headers["content-type"] == "application/hal+json"
    page = body(response)
    items = page["_embedded"]["certificateRequestTokens"]
    base = url(api, TOKENS)
    assert [t["_links"]["self"]["href"] for t in items] == [f"{base}/{t['id']}" for t in items]
    assert page["page"] == {"size": 2, "totalElements": 3, "totalPages": 2, "number": 0}
    assert page["_links"]["next"]["href"] == f"{base}?page=1&size=2&sort=name,asc"
    one = body(api.get(f"{TOKENS}/{items[0]['id']}", headers=hal))
    assert one["_links"] == {"self": {"href": f"{base}/{items[0]['id']}"}}


def test_patch_changes_only_what_is_given(api: httpx2.Client) -> None:
    token = create(api, "before", commonName="cn.example.com", organization="Org", organizationalUnit="Unit")
    url = f"{TOKENS}/{token['id']}"
    renamed = api.patch(url, json={"name": "after", "commonName": None, "validYears": 5})
    assert renamed.status_code == 200
    assert body(renamed) == {**token, "name": "after"}  # null: not given; validYears: not updatable
    cleared = body(api.patch(url, json={"organization": ""}))
    assert "organization" not in cleared
    assert cleared["commonName"] == "cn.example.com"
    assert body(api.patch(url, json={})) == cleared
    assert error_of(api.patch(url, json={"name": ""}), 400) == "name must not be blank"
    assert error_of(api.patch(url, json={"commonName": 1}), 400) == "Value for commonName must be of string"


def test_put_replaces_the_definition(api: httpx2.Client) -> None:
    token = create(api, "full", commonName="cn.example.com", organization="Org", organizationalUnit="Unit")
    url = f"{TOKENS}/{token['id']}"
    replaced = api.put(url, json={"name": "replaced", "organizationalUnit": "Ops"})
    assert replaced.status_code == 200
    result = body(replaced)
    assert (result["name"], result["organizationalUnit"]) == ("replaced", "Ops")
    assert "commonName" not in result  # absent from a PUT: cleared
    assert "organization" not in result
    assert (result["token"], result["expiresAt"]) == (token["token"], token["expiresAt"])  # the secret stays
    assert error_of(api.put(url, json={"commonName": "x"}), 400) == "name is required"


def test_unknown_and_other_frontdoors_tokens_are_404(api: httpx2.Client, shared: RunningSandbox) -> None:
    missing = "token-123e4567-e89b-12d3-a456-426614174000"
    expected = {"error": "not_found", "message": f"Certificate request token {missing} not found"}
    for response in (
        api.get(f"{TOKENS}/{missing}"),
        api.patch(f"{TOKENS}/{missing}", json={"name": "x"}),
        api.put(f"{TOKENS}/{missing}", json={"name": "x"}),
        api.delete(f"{TOKENS}/{missing}"),
    ):
        assert response.status_code == 404
        assert body(response) == expected
    theirs = shared.add_request_token("theirs")  # on the sandbox's default frontdoor, not this test's
    assert api.get(f"{TOKENS}/{theirs.id}").status_code == 404


def test_delete_is_soft_and_final(api: httpx2.Client, shared: RunningSandbox) -> None:
    keep = create(api, "keep")
    gone = create(api, "gone")
    deleted = api.delete(f"{TOKENS}/{gone['id']}")
    assert deleted.status_code == 200
    payload = body(deleted)
    assert set(payload) == DELETED_KEYS
    assert (payload["id"], payload["name"], payload["deletedBy"]) == (gone["id"], "gone", shared.username)
    assert api.get(f"{TOKENS}/{gone['id']}").status_code == 404
    assert api.delete(f"{TOKENS}/{gone['id']}").status_code == 404
    assert [t["id"] for t in body(api.get(TOKENS))["content"]] == [keep["id"]]
    row = shared.store.tokens.get_any(gone["id"])
    assert row is not None
    assert row.deleted_us is not None


def test_used_tokens_stay_listed_and_cannot_be_changed(api: httpx2.Client) -> None:
    token = create(api, "once", commonName="once.example.com")
    redeemed = api.post(f"/client-certificates/token/{token['token']}", json={"type": "CSR", "value": csr_pem()})
    assert redeemed.status_code == 201
    used = body(api.get(f"{TOKENS}/{token['id']}"))
    assert used["clientCertificateId"] == body(redeemed)["id"]
    assert datetime.strptime(used["usedAt"], INSTANT) >= datetime.strptime(used["createdAt"], INSTANT)
    assert [t["id"] for t in body(api.get(TOKENS))["content"]] == [token["id"]]
    message = f"Certificate request token {token['id']} has already been used"
    for response in (
        api.patch(f"{TOKENS}/{token['id']}", json={"name": "x"}),
        api.put(f"{TOKENS}/{token['id']}", json={"name": "x"}),
    ):
        assert response.status_code == 409
        assert body(response) == {"error": "conflict", "message": message}
    assert api.delete(f"{TOKENS}/{token['id']}").status_code == 200  # a used token can still be tidied away
    assert api.get(f"/client-certificates/{used['clientCertificateId']}").status_code == 200  # its cert stays


def test_auth_and_access_as_for_certificates(shared: RunningSandbox) -> None:
    other = shared.add_frontdoor()
    with new_client(base_url=f"{shared.base_url}/{other}") as client:
        anonymous = client.get(TOKENS)
        assert anonymous.status_code == 401
        assert body(anonymous) == {"error": "unauthorized", "message": "Bearer token is missing or invalid"}
        forbidden = client.post(TOKENS, json={"name": "x"}, headers={"Authorization": f"Bearer {shared.token}"})
        assert forbidden.status_code == 403
        assert body(forbidden) == {"error": "not_found", "message": f"Frontdoor {other} not found"}
        bad_id = client.get(
            f"{shared.base_url}/not-a-uuid{TOKENS}", headers={"Authorization": f"Bearer {shared.token}"}
        )
        assert error_of(bad_id, 400) == "Value for frontdoorId must be of UUID"
