"""The sandbox as an OAuth issuer: ES256 JWTs with a kid, JWKS, RFC 8414 metadata, scopes, RFC 8707 audiences,
and what the sandbox's own API accepts (only its tokens, unexpired, for the "frontdoor" audience)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, cast

import httpx2
import jwt
import pytest
from cryptography import x509
from mcp.shared.auth import OAuthMetadata

from frontdoor_mcp.sandbox.oauth.signing_key import SigningKey
from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from tests.sandbox_curl.clients import new_client
from tests.sandbox_curl.pems import csr_pem

Json = dict[str, Any]
UNAUTHORIZED = {"error": "unauthorized", "message": "Bearer token is missing or invalid"}
IGNORE_SCOPE = "https://gateway.production.netfoundry.io//ignore-scope"


@pytest.fixture(scope="module")
def shared() -> Iterator[RunningSandbox]:
    """One sandbox for the tests that only read or add clients with their own ids."""
    with start_sandbox() as running:
        yield running


@pytest.fixture(scope="module")
def raw() -> Iterator[httpx2.Client]:
    with new_client() as client:
        yield client


def body(response: httpx2.Response) -> Json:
    return cast(Json, response.json())


def jwt_part(token: str, index: int) -> Json:
    part = token.split(".")[index]
    return cast(Json, json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def grant(raw: httpx2.Client, sandbox: RunningSandbox, **form: str) -> httpx2.Response:
    return raw.post(
        sandbox.token_url,
        data={"grant_type": "client_credentials", **form},
        auth=(sandbox.client_id, sandbox.client_secret),
    )


def list_with(raw: httpx2.Client, sandbox: RunningSandbox, token: str) -> httpx2.Response:
    url = f"{sandbox.base_url}/{sandbox.frontdoor_id}/client-certificates"
    return raw.get(url, headers={"Authorization": f"Bearer {token}"})


def test_token_is_an_es256_jwt_anyone_can_verify_from_the_jwks(raw: httpx2.Client, shared: RunningSandbox) -> None:
    response = grant(raw, shared, scope=IGNORE_SCOPE)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    issued = body(response)
    assert set(issued) == {"access_token", "token_type", "expires_in", "scope"}
    assert (issued["token_type"], issued["expires_in"]) == ("Bearer", 3600)
    assert issued["scope"] == "frontdoor.read frontdoor.write"  # ignore-scope: the client's own scopes
    token = issued["access_token"]

    jwks = body(raw.get(f"{shared.root_url}/.well-known/jwks.json"))
    [key] = jwks["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("EC", "P-256", "ES256", "sig")
    assert "d" not in key  # the public half only
    assert jwt_part(token, 0) == {"alg": "ES256", "typ": "JWT", "kid": key["kid"]}
    claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["ES256"], audience="frontdoor", issuer=shared.root_url)
    assert claims["sub"] == claims["client_id"] == shared.client_id
    assert claims["scope"] == "frontdoor.read frontdoor.write"
    assert 3600 <= claims["exp"] - claims["iat"] <= 3601
    assert abs(claims["iat"] - time.time()) < 5

    assert list_with(raw, shared, token).status_code == 200
    other = shared.add_frontdoor()
    url = f"{shared.base_url}/{other}/client-certificates"
    assert raw.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 403

    posted = raw.post(  # client_secret_post works too
        shared.token_url,
        data={"grant_type": "client_credentials", "client_id": shared.client_id, "client_secret": shared.client_secret},
    )
    assert posted.status_code == 200


def test_metadata_names_the_endpoints_and_the_sdk_can_read_it(raw: httpx2.Client, shared: RunningSandbox) -> None:
    metadata = body(raw.get(f"{shared.root_url}/.well-known/oauth-authorization-server"))
    root = shared.root_url
    assert metadata["issuer"] == root
    assert metadata["token_endpoint"] == shared.token_url
    assert metadata["jwks_uri"] == f"{root}/.well-known/jwks.json"
    assert metadata["grant_types_supported"] == ["client_credentials"]
    assert {"frontdoor.read", "frontdoor.write"} <= set(metadata["scopes_supported"])
    parsed = OAuthMetadata.model_validate(metadata)  # what an MCP client's discovery does with it
    assert str(parsed.token_endpoint) == shared.token_url
    refused = raw.get(metadata["authorization_endpoint"], params={"response_type": "code"})
    assert refused.status_code == 400
    assert body(refused)["error"] == "unsupported_response_type"


def test_scopes_are_those_asked_for_that_the_client_may_have(raw: httpx2.Client, shared: RunningSandbox) -> None:
    assert body(grant(raw, shared))["scope"] == "frontdoor.read frontdoor.write"
    assert body(grant(raw, shared, scope="frontdoor.read"))["scope"] == "frontdoor.read"
    assert body(grant(raw, shared, scope="frontdoor.read admin"))["scope"] == "frontdoor.read"  # unknown dropped
    refused = grant(raw, shared, scope="admin")
    assert refused.status_code == 400
    assert body(refused)["error"] == "invalid_scope"

    shared.add_oauth_client("mcp-tests", "mcp-secret", scopes=["mcp:read", "mcp:write"])
    own = {"grant_type": "client_credentials"}
    default = raw.post(shared.token_url, data=own, auth=("mcp-tests", "mcp-secret"))
    assert body(default)["scope"] == "mcp:read mcp:write"
    narrowed = raw.post(shared.token_url, data={**own, "scope": "mcp:read"}, auth=("mcp-tests", "mcp-secret"))
    assert jwt_part(body(narrowed)["access_token"], 1)["scope"] == "mcp:read"
    metadata = body(raw.get(f"{shared.root_url}/.well-known/oauth-authorization-server"))
    assert {"mcp:read", "mcp:write"} <= set(metadata["scopes_supported"])


def test_a_token_for_another_resource_is_refused_by_the_api(raw: httpx2.Client, shared: RunningSandbox) -> None:
    mcp_url = "http://127.0.0.1:9/mcp"
    issued = body(grant(raw, shared, resource=mcp_url))
    assert jwt_part(issued["access_token"], 1)["aud"] == mcp_url
    response = list_with(raw, shared, issued["access_token"])
    assert response.status_code == 401
    assert body(response) == UNAUTHORIZED
    assert "audience" in response.headers["www-authenticate"]

    both = raw.post(
        shared.token_url,
        data={"grant_type": "client_credentials", "resource": [mcp_url, "https://frontdoor.example/"]},
        auth=(shared.client_id, shared.client_secret),
    )
    assert jwt_part(body(both)["access_token"], 1)["aud"] == [mcp_url, "https://frontdoor.example/"]
    for bad in ("not-a-uri", "https://x.example/#fragment"):
        refused = grant(raw, shared, resource=bad)
        assert refused.status_code == 400
        assert body(refused)["error"] == "invalid_target"


def test_oauth_errors(raw: httpx2.Client, shared: RunningSandbox) -> None:
    form = {"grant_type": "client_credentials"}
    bad_secret = raw.post(shared.token_url, data=form, auth=(shared.client_id, "wrong"))
    assert bad_secret.status_code == 401
    assert body(bad_secret)["error"] == "invalid_client"
    assert raw.post(shared.token_url, data=form, auth=("nobody", "x")).status_code == 401
    assert raw.post(shared.token_url, data=form).status_code == 401
    creds = (shared.client_id, shared.client_secret)
    wrong = raw.post(shared.token_url, data={"grant_type": "password"}, auth=creds)
    assert (wrong.status_code, body(wrong)["error"]) == (400, "unsupported_grant_type")
    missing = raw.post(shared.token_url, data={}, auth=creds)
    assert (missing.status_code, body(missing)["error"]) == (400, "invalid_request")


def test_expired_forged_foreign_and_unsigned_jwts_are_401(raw: httpx2.Client, shared: RunningSandbox) -> None:
    now = int(time.time())
    claims = {
        "iss": shared.root_url,
        "aud": "frontdoor",
        "sub": shared.client_id,
        "client_id": shared.client_id,
        "scope": "frontdoor.read frontdoor.write",
        "iat": now,
        "exp": now + 60,
    }
    assert list_with(raw, shared, shared.mint_jwt(claims)).status_code == 200
    another_key = SigningKey.generate()
    same_kid = jwt.encode(claims, another_key.to_pem(), algorithm="ES256", headers={"kid": shared.signing_key.kid})
    payload = shared.mint_jwt(claims).split(".")[1]
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode() + f".{payload}."
    cases = [
        ("expired", shared.mint_jwt({**claims, "iat": now - 3600, "exp": now - 1})),
        ("invalid", another_key.mint(claims)),  # not our kid
        ("invalid", same_kid),  # our kid, another key's signature
        ("invalid", unsigned),
        ("invalid", jwt.encode(claims, "a shared secret of 32 bytes or more, not our key", algorithm="HS256")),
        ("malformed", "eyJub3QiOiJqc29u.x.y"),
        ("iss claim", shared.mint_jwt({**claims, "iss": "https://issuer.example"})),
        ("audience", shared.mint_jwt({**claims, "aud": ["https://mcp.example/mcp"]})),
    ]
    for reason, token in cases:
        response = list_with(raw, shared, token)
        assert response.status_code == 401, reason
        assert body(response) == UNAUTHORIZED
        assert 'error="invalid_token"' in response.headers["www-authenticate"]
        assert reason in response.headers["www-authenticate"]
    listed = shared.mint_jwt({**claims, "aud": ["https://mcp.example/mcp", "frontdoor"]})
    assert list_with(raw, shared, listed).status_code == 200  # aud includes "frontdoor": accepted


def test_token_ttl_sets_expiry(raw: httpx2.Client) -> None:
    with start_sandbox(token_ttl=1) as sandbox:
        issued = body(grant(raw, sandbox))
        assert issued["expires_in"] == 1
        claims = jwt_part(issued["access_token"], 1)
        assert 1 <= claims["exp"] - claims["iat"] <= 2  # exp is rounded up: valid for at least the ttl


def test_the_signing_key_and_port_are_kept_with_the_database(raw: httpx2.Client, tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    with start_sandbox(db_path=db, port=0) as first:
        token = body(grant(raw, first))["access_token"]
        kid = first.signing_key.kid
    with start_sandbox(db_path=db, port=None) as second:  # the kept port: the same issuer URL
        assert second.root_url == first.root_url
        assert second.signing_key.kid == kid
        assert list_with(raw, second, token).status_code == 200  # a token from before the restart still works


def test_the_clock_given_is_the_sandbox_time(raw: httpx2.Client) -> None:
    """`start_sandbox(clock=...)` is every time the sandbox reads: JWT iat/exp and their check, createdAt, what
    it signs, the request log and the Date header."""
    now = [1_700_000_000.0]  # 2023-11-14T22:13:20Z
    moment = datetime.fromtimestamp(now[0], UTC)
    with start_sandbox(clock=lambda: now[0]) as sandbox:
        token = body(grant(raw, sandbox))["access_token"]
        claims = jwt_part(token, 1)
        assert (claims["iat"], claims["exp"]) == (1_700_000_000, 1_700_003_600)
        with new_client(
            base_url=f"{sandbox.base_url}/{sandbox.frontdoor_id}", headers={"Authorization": f"Bearer {token}"}
        ) as client:
            created = client.post("/client-certificates", json={"name": "at-a-set-time", "value": csr_pem()})
            assert body(created)["createdAt"] == "2023-11-14T22:13:20Z"
            fetched = client.get(f"/client-certificates/{body(created)['id']}")
            assert parsedate_to_datetime(fetched.headers["date"]) == moment
            signed = x509.load_pem_x509_certificate(body(fetched)["value"].encode())
            assert signed.not_valid_before_utc == moment
            now[0] += 3600  # the token's exp
            assert client.get("/client-certificates").status_code == 401
        assert sorted({r.time for r in sandbox.faults.requests}) == [1_700_000_000.0, 1_700_003_600.0]
