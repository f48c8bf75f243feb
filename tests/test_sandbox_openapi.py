"""The OpenAPI document covers what the sandbox serves: every route and method is described (and nothing
else), every $ref resolves, and the required keys of each resource schema are what the API returns."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any, cast

import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from frontdoor_mcp.sandbox.app import SandboxConfig, build_app
from frontdoor_mcp.sandbox.faults.controller import FaultController
from frontdoor_mcp.sandbox.faults.middleware import ConnectionRegistry, FaultMiddleware
from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from tests.sandbox_curl.clients import new_client
from tests.sandbox_curl.pems import certificate_pem

Json = dict[str, Any]
# The app's path parameter names -> the document's.
PARAMETER_NAMES = {
    "frontdoor_id": "frontdoorId",
    "certificate_id": "id",
    "token_id": "tokenId",
    "share_id": "shareId",
    "token": "token",
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox() as running:
        yield running


@pytest.fixture(scope="module")
def document(sandbox: RunningSandbox) -> Json:
    with new_client() as client:
        return cast(Json, client.get(f"{sandbox.root_url}/openapi.json").json())


def served_operations(sandbox: RunningSandbox) -> set[tuple[str, str]]:
    config = SandboxConfig(
        store=sandbox.store,
        ca=sandbox.ca,
        faults=FaultController(),
        connections=ConnectionRegistry(),
        admin_token="unused",
        token_ttl=60,
        signing_key=sandbox.signing_key,
        issuer=sandbox.issuer,
        clock=time.time,
    )
    app = build_app(config)
    assert isinstance(app, FaultMiddleware)
    assert isinstance(app.app, Starlette)
    operations: set[tuple[str, str]] = set()
    for route in app.app.routes:
        assert isinstance(route, Route)
        path = re.sub(r"\{(\w+)\}", lambda m: "{" + PARAMETER_NAMES[m.group(1)] + "}", route.path)
        operations |= {(path, method.lower()) for method in route.methods or () if method != "HEAD"}
    return operations


def test_every_route_is_described_and_nothing_else(sandbox: RunningSandbox, document: Json) -> None:
    described = {
        (path, method) for path, item in document["paths"].items() for method in item if method != "parameters"
    }
    served = served_operations(sandbox)
    served.discard(("/oauth/authorize", "post"))  # the same refusal as its GET; described once
    assert described == served


def test_every_operation_answers_something_and_every_ref_resolves(document: Json) -> None:
    def refs(node: object) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in cast(dict[str, object], node).items():
                if key == "$ref" and isinstance(value, str):
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for item in cast(list[object], node):
                yield from refs(item)

    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                assert operation["responses"], (path, method)
                assert operation["operationId"]
    for ref in set(refs(document)):
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]


def required(document: Json, schema: str) -> set[str]:
    spec = document["components"]["schemas"][schema]
    keys: set[str] = set(spec.get("required", []))
    for part in spec.get("allOf", []):
        keys |= required(document, part["$ref"].rsplit("/", 1)[1]) if "$ref" in part else set(part.get("required", []))
    return keys


def test_the_document_is_served_without_credentials_and_matches_the_certificates(
    sandbox: RunningSandbox, document: Json
) -> None:
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": sandbox.root_url}]
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with new_client(base_url=f"{sandbox.base_url}/{sandbox.frontdoor_id}", headers=headers) as api:
        created = api.post("/client-certificates", json={"name": "schema-check", "value": certificate_pem()}).json()
        assert required(document, "ClientCertificateSummary") == set(created)
        assert required(document, "ClientCertificate") == set(api.get(f"/client-certificates/{created['id']}").json())
        assert required(document, "ClientCertificatePage") == set(api.get("/client-certificates").json())
        assert required(document, "Error") == set(api.get("/client-certificates/cert-nope").json())


def test_schemas_match_the_new_resources(sandbox: RunningSandbox, document: Json) -> None:
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with new_client(base_url=f"{sandbox.base_url}/{sandbox.frontdoor_id}", headers=headers) as api:
        token = api.post("/certificate-request-tokens", json={"name": "schema"}).json()
        assert required(document, "CertificateRequestToken") == set(token)  # the optional ones are absent here
        assert required(document, "CertificateRequestTokenPage") == set(api.get("/certificate-request-tokens").json())
        cert = api.post("/client-certificates", json={"name": "c", "value": certificate_pem()}).json()
        share = api.post(
            "/shares",
            json={"name": "s", "type": "tcp", "envZId": "e", "target": "h:1", "ingressPort": 2100},
        ).json()
        assert required(document, "Share") <= set(share)
        assert required(document, "SharePage") == set(api.get("/shares").json())
        assert required(document, "Frontdoor") <= set(api.get(f"{sandbox.base_url}/{sandbox.frontdoor_id}").json())
        assert required(document, "DeletedShare") == set(api.delete(f"/shares/{share['id']}").json())
        deleted_token = api.delete(f"/certificate-request-tokens/{token['id']}").json()
        assert required(document, "DeletedCertificateRequestToken") == set(deleted_token)
        assert required(document, "DeletedClientCertificate") == set(
            api.delete(f"/client-certificates/{cert['id']}").json()
        )
    kinds = document["components"]["schemas"]["Fault"]["properties"]["kind"]["enum"]
    assert "rate_limit" in kinds
