"""The sandbox over real HTTP: every operation, both list shapes, every documented error, auth, CA signing."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, cast

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from frontdoor_mcp.sandbox.auth import mint_jwt
from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from tests.sandbox_curl.clients import new_client
from tests.sandbox_curl.pems import (
    certificate_pem,
    csr,
    csr_pem,
    pem_of,
    private_key_pem,
    tampered_csr_pem,
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


# CSR signing ----------------------------------------------------------------------------------------------


def test_csr_is_signed_exactly_as_the_guide_documents(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    request = csr("svc.example.com", sans=("svc.example.com", "alt.example.com"))
    before = datetime.now(UTC).replace(microsecond=0)
    created = create(api, "generated-client-cert", pem_of(request))
    after = datetime.now(UTC)
    assert set(created) == SUMMARY_KEYS

    value = body(api.get(f"/client-certificates/{created['id']}"))["value"]
    assert value.startswith("-----BEGIN CERTIFICATE-----")
    cert = x509.load_pem_x509_certificate(value.encode())

    expected_issuer = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "NC"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "Charlotte"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "NetFoundry"),
            x509.NameAttribute(NameOID.COMMON_NAME, "NetFoundry"),
        ]
    )
    assert cert.issuer == expected_issuer
    assert cert.issuer.rfc4514_string() == "CN=NetFoundry,O=NetFoundry,L=Charlotte,ST=NC,C=US"
    assert cert.subject == request.subject
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert cert.public_key().public_bytes(*spki) == request.public_key().public_bytes(*spki)

    key_usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert key_usage.critical
    usage = key_usage.value
    assert usage.digital_signature
    assert usage.key_cert_sign
    assert usage.crl_sign
    assert not usage.content_commitment  # non repudiation
    assert not usage.key_encipherment
    assert not usage.data_encipherment
    assert not usage.key_agreement
    with pytest.raises(ValueError, match="key_agreement"):  # encipher/decipher only: off, hence undefined
        _ = usage.encipher_only
    with pytest.raises(ValueError, match="key_agreement"):
        _ = usage.decipher_only
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["svc.example.com", "alt.example.com"]

    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=365)
    assert before <= cert.not_valid_before_utc <= after
    assert cert.signature_hash_algorithm is not None
    assert cert.signature_hash_algorithm.name == "sha256"
    ca = x509.load_pem_x509_certificate(sandbox.ca_certificate_pem.encode())
    cert.verify_directly_issued_by(ca)

    second = body(api.get(f"/client-certificates/{create(api, 'again', pem_of(request))['id']}"))
    assert x509.load_pem_x509_certificate(second["value"].encode()).serial_number != cert.serial_number


def test_csr_without_san_gets_none(api: httpx2.Client) -> None:
    created = create(api, "plain", csr_pem("plain.example.com"))
    cert = x509.load_pem_x509_certificate(body(api.get(f"/client-certificates/{created['id']}"))["value"].encode())
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)


def test_patch_and_put_with_a_csr_sign_it(api: httpx2.Client) -> None:
    created = create(api, "rotating")
    patched = api.patch(f"/client-certificates/{created['id']}", json={"value": csr_pem("patched.example.com")})
    assert patched.status_code == 200
    value = body(patched)["value"]
    assert x509.load_pem_x509_certificate(value.encode()).issuer.rfc4514_string().startswith("CN=NetFoundry")
    assert body(patched)["name"] == "rotating"
    put = api.put(
        f"/client-certificates/{created['id']}", json={"name": "r2", "value": csr_pem("put.example.com"), "type": "CSR"}
    )
    assert put.status_code == 200
    cert = x509.load_pem_x509_certificate(body(put)["value"].encode())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "put.example.com"


def test_optional_type_must_agree_with_the_pem(api: httpx2.Client) -> None:
    assert create(api, "typed-pem", certificate_pem(), type="PEM")["name"] == "typed-pem"
    assert create(api, "typed-csr", csr_pem(), type="CSR")["name"] == "typed-csr"
    mismatch = api.post("/client-certificates", json={"name": "x", "value": certificate_pem(), "type": "CSR"})
    assert "does not match" in error_of(mismatch, 400)
    mismatch = api.post("/client-certificates", json={"name": "x", "value": csr_pem(), "type": "PEM"})
    assert "does not match" in error_of(mismatch, 400)
    unknown = api.post("/client-certificates", json={"name": "x", "value": csr_pem(), "type": "DER"})
    assert error_of(unknown, 400) == "Value for type must be of enum [PEM, CSR]"


# 400s -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"name": 5, "value": "x"}, "Value for name must be of string"),
        ({"name": ["a"], "value": "x"}, "Value for name must be of string"),
        ({"name": "n", "value": 5}, "Value for value must be of string"),
        ({"name": "n", "value": {"pem": "x"}}, "Value for value must be of string"),
        ({"value": "x"}, "name is required"),
        ({"name": None, "value": "x"}, "name is required"),
        ({"name": "n"}, "value is required"),
        ({"name": "   ", "value": "x"}, "name must not be blank"),
        ({"name": "n" * 256, "value": "x"}, "name size must be between 1 and 255"),
        ({"name": "n", "value": "  "}, "value must not be blank"),
        ([{"name": "n"}], "Request body must be a JSON object"),
    ],
)
def test_create_rejects_bad_fields(api: httpx2.Client, payload: object, message: str) -> None:
    response = api.post("/client-certificates", json=payload)
    assert response.status_code == 400
    assert body(response) == {"error": "invalid_request", "message": message}


def test_name_of_255_characters_is_accepted(api: httpx2.Client) -> None:
    assert create(api, "n" * 255)["name"] == "n" * 255


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"name": "x", ', "Malformed JSON request body"),
        (b'{"name": NaN}', "Malformed JSON request body"),
        (b"\xff\xfe", "Malformed JSON request body"),
        (b"", "Required request body is missing"),
    ],
)
def test_malformed_bodies_are_400(api: httpx2.Client, raw: bytes, message: str) -> None:
    response = api.post("/client-certificates", content=raw, headers={"Content-Type": "application/json"})
    assert error_of(response, 400) == message


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (GUIDE_BAD_CERT, "not a parsable PEM CERTIFICATE"),
        ("not a pem at all", "PEM-encoded"),
        ("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", "not a parsable"),
        ("PRIVATE", "PEM-encoded"),
    ],
)
def test_unparsable_pems_are_400(api: httpx2.Client, value: str, fragment: str) -> None:
    response = api.post("/client-certificates", json={"name": "bad", "value": value})
    assert fragment in error_of(response, 400)
    assert body(api.get("/client-certificates"))["totalElements"] == 0


def test_other_pem_types_and_key_riders_are_400(api: httpx2.Client) -> None:
    key_only = api.post("/client-certificates", json={"name": "k", "value": private_key_pem()})
    assert "not PRIVATE KEY" in error_of(key_only, 400)
    with_key = api.post("/client-certificates", json={"name": "k", "value": certificate_pem() + private_key_pem()})
    assert "found PRIVATE KEY" in error_of(with_key, 400)
    chain = certificate_pem() + certificate_pem()
    assert create(api, "chain", chain)["name"] == "chain"  # a certificate chain is an upload like any other


def test_csr_whose_signature_fails_is_400(api: httpx2.Client) -> None:
    response = api.post("/client-certificates", json={"name": "forged", "value": tampered_csr_pem()})
    assert error_of(response, 400) == "value is a CERTIFICATE REQUEST whose signature does not verify"


def test_put_needs_name_and_value_and_patch_checks_types(api: httpx2.Client) -> None:
    created = create(api, "c")
    url = f"/client-certificates/{created['id']}"
    assert error_of(api.put(url, json={"name": "only-name"}), 400) == "value is required"
    assert error_of(api.put(url, json={"value": certificate_pem()}), 400) == "name is required"
    assert error_of(api.patch(url, json={"name": 5}), 400) == "Value for name must be of string"
    assert error_of(api.patch(url, json={"value": "junk"}), 400).startswith("value must be a PEM")
    assert body(api.get(url))["name"] == "c"


def test_non_uuid_frontdoor_is_400(api: httpx2.Client, sandbox: RunningSandbox) -> None:
    response = api.get(f"{sandbox.base_url}/not-a-uuid/client-certificates")
    assert response.status_code == 400
    assert body(response) == {"error": "invalid_request", "message": "Value for frontdoorId must be of UUID"}


def test_unknown_sort_property_is_400(api: httpx2.Client) -> None:
    response = api.get("/client-certificates", params={"sort": "value,asc"})
    assert error_of(response, 400) == "No property 'value' found for type 'ClientCertificate'"


def test_wrong_content_type_is_415_and_huge_body_413(api: httpx2.Client) -> None:
    form = api.post("/client-certificates", content=b"name=x", headers={"Content-Type": "text/plain"})
    assert error_of(form, 415) == "Content-Type 'text/plain' is not supported"
    merge = api.post(
        "/client-certificates",
        content=json.dumps({"name": "m", "value": certificate_pem()}).encode(),
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert merge.status_code == 201  # application/*+json is JSON to Jackson
    huge = api.post("/client-certificates", json={"name": "big", "value": "A" * (1024 * 1024)})
    assert huge.status_code == 413
    assert body(huge)["error"] == "payload_too_large"


def test_unsupported_accept_is_406_and_wrong_method_405(api: httpx2.Client) -> None:
    assert api.get("/client-certificates", headers={"Accept": "text/html"}).status_code == 406
    assert api.post("/client-certificates", json={}, headers={"Accept": "text/html"}).status_code == 406
    assert api.get("/client-certificates", headers={"Accept": "text/html, */*;q=0.1"}).status_code == 200
    response = api.delete("/client-certificates")
    assert response.status_code == 405
    assert body(response)["error"] == "method_not_allowed"
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert api.get("/client-certificates/").status_code == 404  # no trailing-slash redirect, like Spring 6


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


# OpenAPI and OAuth --------------------------------------------------------------------------------------------


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in cast(dict[str, object], node).items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in cast(list[object], node):
            yield from _refs(item)


def _required(document: Json, schema: str) -> set[str]:
    spec = document["components"]["schemas"][schema]
    keys: set[str] = set(spec.get("required", []))
    for part in spec.get("allOf", []):
        keys |= _required(document, part["$ref"].rsplit("/", 1)[1]) if "$ref" in part else set(part["required"])
    return keys


def test_openapi_document_describes_what_is_served(
    api: httpx2.Client, raw: httpx2.Client, sandbox: RunningSandbox
) -> None:
    response = raw.get(f"{sandbox.root_url}/openapi.json")  # no auth needed
    assert response.status_code == 200
    document = body(response)
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": sandbox.root_url}]
    paths = document["paths"]
    assert set(paths["/frontdoor/{frontdoorId}/client-certificates"]) >= {"get", "post"}
    assert set(paths["/frontdoor/{frontdoorId}/client-certificates/{id}"]) >= {"get", "patch", "put", "delete"}
    assert "post" in paths["/oauth/token"]
    for path in paths.values():
        for method, operation in path.items():
            if method != "parameters":
                assert operation["responses"], method
    for ref in set(_refs(document)):  # every $ref resolves
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]

    created = create(api, "schema-check")
    assert _required(document, "ClientCertificateSummary") == set(created)
    assert _required(document, "ClientCertificate") == set(body(api.get(f"/client-certificates/{created['id']}")))
    assert _required(document, "ClientCertificatePage") == set(body(api.get("/client-certificates")))
    assert _required(document, "DeletedClientCertificate") == set(
        body(api.delete(f"/client-certificates/{created['id']}"))
    )
    assert _required(document, "Error") == set(body(api.get("/client-certificates/cert-nope")))


def _jwt_part(token: str, index: int) -> Json:
    part = token.split(".")[index]
    return cast(Json, json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def test_oauth_client_credentials_token_works(raw: httpx2.Client, sandbox: RunningSandbox) -> None:
    response = raw.post(
        sandbox.token_url,
        data={"grant_type": "client_credentials", "scope": "https://gateway.production.netfoundry.io//ignore-scope"},
        auth=(sandbox.client_id, sandbox.client_secret),
    )
    assert response.status_code == 200
    grant = body(response)
    assert set(grant) == {"access_token", "token_type", "expires_in"}
    assert grant["token_type"] == "Bearer"
    assert grant["expires_in"] == 3600
    assert response.headers["cache-control"] == "no-store"
    token = grant["access_token"]
    assert _jwt_part(token, 0) == {"alg": "HS256", "typ": "JWT"}
    claims = _jwt_part(token, 1)
    assert claims["sub"] == sandbox.client_id
    assert claims["scope"] == "frontdoor.read frontdoor.write"
    assert 3600 <= claims["exp"] - claims["iat"] <= 3601
    assert abs(claims["iat"] - time.time()) < 5

    with new_client(base_url=f"{sandbox.base_url}/{sandbox.frontdoor_id}") as client:
        client.headers.update(bearer(token))
        assert client.get("/client-certificates").status_code == 200
        assert create(client, "via-jwt")["createdBy"] == sandbox.username
        other = sandbox.add_frontdoor()
        assert client.get(f"{sandbox.base_url}/{other}/client-certificates").status_code == 403

    posted = raw.post(
        sandbox.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
        },
    )
    assert posted.status_code == 200  # client_secret_post works too
    assert sandbox.faults.count(method="POST", path_contains="/oauth/token") == 2


def test_oauth_errors(raw: httpx2.Client, sandbox: RunningSandbox) -> None:
    grant = {"grant_type": "client_credentials"}
    bad_secret = raw.post(sandbox.token_url, data=grant, auth=(sandbox.client_id, "wrong"))
    assert bad_secret.status_code == 401
    assert body(bad_secret)["error"] == "invalid_client"
    unknown = raw.post(sandbox.token_url, data=grant, auth=("nobody", "x"))
    assert unknown.status_code == 401
    assert raw.post(sandbox.token_url, data=grant).status_code == 401
    creds = (sandbox.client_id, sandbox.client_secret)
    wrong = raw.post(sandbox.token_url, data={"grant_type": "password"}, auth=creds)
    assert wrong.status_code == 400
    assert body(wrong)["error"] == "unsupported_grant_type"
    missing = raw.post(sandbox.token_url, data={}, auth=creds)
    assert missing.status_code == 400
    assert body(missing)["error"] == "invalid_request"


def test_expired_forged_and_unsigned_jwts_are_401(raw: httpx2.Client, sandbox: RunningSandbox) -> None:
    key_hex = sandbox.store.get_setting("jwt_hs256_key")
    assert key_hex is not None
    key = bytes.fromhex(key_hex)
    now = int(time.time())
    claims = {"sub": sandbox.client_id, "client_id": sandbox.client_id, "scope": "frontdoor.read frontdoor.write"}
    expired = mint_jwt(key, {**claims, "iat": now - 3600, "exp": now - 1})
    fresh = mint_jwt(key, {**claims, "iat": now, "exp": now + 60})
    forged = mint_jwt(b"another key", {**claims, "iat": now, "exp": now + 60})
    payload = fresh.split(".")[1]
    none_alg = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode() + f".{payload}."
    url = f"{sandbox.base_url}/{sandbox.frontdoor_id}/client-certificates"
    assert raw.get(url, headers=bearer(fresh)).status_code == 200
    for token, reason in ((expired, "expired"), (forged, "invalid"), (none_alg + "x", "invalid")):
        response = raw.get(url, headers=bearer(token))
        assert response.status_code == 401
        assert body(response) == UNAUTHORIZED
        assert 'error="invalid_token"' in response.headers["www-authenticate"]
        assert reason in response.headers["www-authenticate"]


def test_token_ttl_sets_expiry(raw: httpx2.Client) -> None:
    with start_sandbox(token_ttl=1) as sandbox:
        grant = body(
            raw.post(
                sandbox.token_url,
                data={"grant_type": "client_credentials"},
                auth=(sandbox.client_id, sandbox.client_secret),
            )
        )
        assert grant["expires_in"] == 1
        claims = _jwt_part(grant["access_token"], 1)
        assert 1 <= claims["exp"] - claims["iat"] <= 2  # exp is rounded up: valid for at least the ttl


def test_the_clock_given_is_the_sandbox_time(raw: httpx2.Client) -> None:
    """`start_sandbox(clock=...)` is every time the sandbox reads: JWT iat/exp and their check, createdAt, what
    it signs, the request log and the Date header."""
    now = [1_700_000_000.0]  # 2023-11-14T22:13:20Z
    moment = datetime.fromtimestamp(now[0], UTC)
    with start_sandbox(clock=lambda: now[0]) as sandbox:
        grant = raw.post(
            sandbox.token_url,
            data={"grant_type": "client_credentials"},
            auth=(sandbox.client_id, sandbox.client_secret),
        )
        claims = _jwt_part(body(grant)["access_token"], 1)
        assert (claims["iat"], claims["exp"]) == (1_700_000_000, 1_700_003_600)
        with new_client(
            base_url=f"{sandbox.base_url}/{sandbox.frontdoor_id}", headers=bearer(body(grant)["access_token"])
        ) as client:
            created = create(client, "signed-at-a-set-time", csr_pem())
            assert created["createdAt"] == "2023-11-14T22:13:20Z"
            fetched = client.get(f"/client-certificates/{created['id']}")
            assert parsedate_to_datetime(fetched.headers["date"]) == moment
            signed = x509.load_pem_x509_certificate(body(fetched)["value"].encode())
            assert signed.not_valid_before_utc == moment
            now[0] += 3600  # the token's exp
            assert client.get("/client-certificates").status_code == 401
        assert sorted({r.time for r in sandbox.faults.requests}) == [1_700_000_000.0, 1_700_003_600.0]


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
        " ['frontdoor_mcp', 'api'])]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=30)
