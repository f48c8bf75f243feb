"""Certificate input over real HTTP: a CSR signed exactly as the guide documents, the optional `type`, and
every 400/406/413/415 of the certificate endpoints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from frontdoor_mcp.sandbox.runner import RunningSandbox
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
SUMMARY_KEYS = {"id", "name", "frontdoorId", "createdAt", "createdBy"}
GUIDE_BAD_CERT = (
    "-----BEGIN CERTIFICATE-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAryQICCl6NZ5gDKrnSztO\n"
    "FQIDAQAB\n-----END CERTIFICATE-----"
)


@pytest.fixture
def api(sandbox: RunningSandbox) -> Iterator[httpx2.Client]:
    """A client rooted at this sandbox's frontdoor, authenticated with its token."""
    with new_client(
        base_url=f"{sandbox.base_url}/{sandbox.frontdoor_id}",
        headers={"Authorization": f"Bearer {sandbox.token}", "Accept": "application/json"},
    ) as client:
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
