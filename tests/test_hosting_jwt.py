"""Mode (b): an OAuth 2.1 resource server, against a real issuer (the sandbox's: ES256 JWTs, a JWKS, RFC 8707
audiences). A token is accepted only when signed by the issuer's key, from that issuer, for this server's
URL, and in time; its scopes decide the tools. Over HTTP a refusal is 401 with `WWW-Authenticate` pointing to
the protected-resource metadata, which is served."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import shlex
import subprocess
import time
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from frontdoor_mcp.hosting.callers import AUTH_LOGGER
from frontdoor_mcp.hosting.issuer_tokens import LEEWAY_S, IssuerKeys, IssuerTokenVerifier, metadata_urls
from frontdoor_mcp.hosting.options import SCOPES, HostingOptions, IssuerAuth
from frontdoor_mcp.sandbox.command import MCP_RESOURCE_EXAMPLE
from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.sandbox.storage.store import MCP_SERVER_SCOPES
from frontdoor_mcp.toolkit.definition import offered
from frontdoor_mcp.tools import ALL_TOOLS
from tests.hosting_support import bearer, http_server, loopback_socket, mcp_over_http, oauth_token
from tests.sandbox_curl.process import spawned
from tests.support import sandbox_settings

pytestmark = pytest.mark.anyio

RESOURCE = "http://127.0.0.1:9/mcp"
"""The audience tokens are asked for in the verifier tests (nothing listens there: it is only a name)."""


@pytest.fixture
def issuer(module_sandbox: RunningSandbox) -> RunningSandbox:
    module_sandbox.add_oauth_client("reader", "reader-secret-0123456789", scopes=["frontdoor:read"])
    module_sandbox.add_oauth_client("writer", "writer-secret-0123456789", scopes=["frontdoor:read", "frontdoor:write"])
    return module_sandbox


def _verifier(sandbox: RunningSandbox, resource: str = RESOURCE, **kwargs: Any) -> IssuerTokenVerifier:
    return IssuerTokenVerifier(IssuerAuth(sandbox.issuer, resource), **kwargs)


def _claims(sandbox: RunningSandbox, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": sandbox.issuer,
        "sub": "svc",
        "aud": RESOURCE,
        "iat": now,
        "exp": now + 600,
        "scope": "frontdoor:read",
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


async def test_a_token_from_the_issuer_for_this_server_is_accepted_with_its_scopes(issuer: RunningSandbox) -> None:
    token = oauth_token(issuer, "writer", "writer-secret-0123456789", resource=RESOURCE)
    access = await _verifier(issuer).verify_token(token)
    assert access is not None
    assert access.client_id == "writer" and access.subject == "writer"
    assert set(access.scopes) == {"frontdoor:read", "frontdoor:write"}
    assert access.resource == RESOURCE and access.claims == {"iss": issuer.issuer}


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "http://127.0.0.1:9/other"},
        {"aud": ["frontdoor"]},
        {"aud": None},
        {"iss": "http://127.0.0.1:1"},
        {"exp": int(time.time()) - LEEWAY_S - 5},
        {"exp": None},
        {"nbf": int(time.time()) + LEEWAY_S + 60},
        {"sub": None, "client_id": None},
    ],
    ids=["other-audience", "api-audience", "no-audience", "other-issuer", "expired", "no-exp", "not-yet", "nobody"],
)
async def test_a_token_that_is_not_for_us_or_not_in_time_is_refused(
    issuer: RunningSandbox, changes: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=AUTH_LOGGER)
    token = issuer.mint_jwt(_claims(issuer, **changes))
    assert await _verifier(issuer).verify_token(token) is None
    (line,) = [record.getMessage() for record in caplog.records if record.name == AUTH_LOGGER]
    assert line.startswith("refused a bearer token (principal unknown) from an unknown address: it ")
    assert token not in caplog.text and "svc" not in line, "neither the token nor a claim of it"


async def test_each_refusal_says_why(issuer: RunningSandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=AUTH_LOGGER)
    verifier = _verifier(issuer)
    now = int(time.time())
    for token in (
        "not.a.jwt",
        issuer.mint_jwt(_claims(issuer, exp=now - 3600)),
        issuer.mint_jwt(_claims(issuer, aud="http://127.0.0.1:9/other")),
        issuer.mint_jwt(_claims(issuer, iss="http://127.0.0.1:1")),
    ):
        assert await verifier.verify_token(token) is None
    reasons = [record.getMessage().split(": ", 1)[1] for record in caplog.records if record.name == AUTH_LOGGER]
    assert reasons == [
        "not a JWT",
        "it has expired",
        "it is not for this server (aud is not the resource URL)",
        "it is from another issuer (iss)",
    ]


async def test_the_leeway_is_small_and_read_on_our_clock(issuer: RunningSandbox) -> None:
    token = issuer.mint_jwt(_claims(issuer, exp=1_000_000))
    assert await _verifier(issuer, now=lambda: 1_000_000 + LEEWAY_S - 1).verify_token(token) is not None
    assert await _verifier(issuer, now=lambda: 1_000_000 + LEEWAY_S + 1).verify_token(token) is None


async def test_a_forged_signature_or_algorithm_is_refused(issuer: RunningSandbox) -> None:
    claims = _claims(issuer)
    verifier = _verifier(issuer)
    other_key = ec.generate_private_key(ec.SECP256R1())
    kid = jwt.get_unverified_header(issuer.mint_jwt(claims))["kid"]
    forged = jwt.encode(claims, other_key, algorithm="ES256", headers={"kid": kid})
    unsigned = jwt.encode(claims, "", algorithm="none", headers={"kid": kid})
    public_pem = issuer.signing_key.public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    hmac_with_public_key = _hs256({"alg": "HS256", "kid": kid}, claims, public_pem)
    for token in (forged, unsigned, hmac_with_public_key, "not.a.jwt", ""):
        assert await verifier.verify_token(token) is None


def _hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """What an attacker would send: an HMAC signed with the issuer's public key (PyJWT refuses to make one)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = part(json.dumps(header).encode()) + "." + part(json.dumps(claims).encode())
    return signing_input + "." + part(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())


async def test_an_unknown_key_id_is_looked_up_again_but_not_on_every_request(issuer: RunningSandbox) -> None:
    fetched: list[str] = []

    async def counting(request: httpx2.Request) -> httpx2.Response:
        fetched.append(request.url.path)
        async with httpx2.AsyncClient() as client:
            return await client.get(str(request.url))

    now = [1000.0]
    keys = IssuerKeys(
        IssuerAuth(issuer.issuer, RESOURCE), transport=httpx2.MockTransport(counting), clock=lambda: now[0]
    )
    verifier = IssuerTokenVerifier(IssuerAuth(issuer.issuer, RESOURCE), keys)
    assert await verifier.verify_token(issuer.mint_jwt(_claims(issuer))) is not None
    assert fetched == ["/.well-known/oauth-authorization-server", "/.well-known/jwks.json"], "discovery, then the JWKS"
    stranger = jwt.encode(
        _claims(issuer), ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers={"kid": "x"}
    )
    for _ in range(5):
        assert await verifier.verify_token(stranger) is None
    assert len(fetched) == 2, "an unknown key id right after a fetch does not fetch again"
    now[0] += 31
    assert await verifier.verify_token(stranger) is None
    assert fetched[2:] == ["/.well-known/jwks.json"]


def test_metadata_urls_follow_rfc_8414_then_openid() -> None:
    assert metadata_urls("https://id.example.com/tenant/") == [
        "https://id.example.com/.well-known/oauth-authorization-server/tenant",
        "https://id.example.com/tenant/.well-known/openid-configuration",
    ]


# Over HTTP ------------------------------------------------------------------------------------------------


@pytest.fixture
def jwt_server(issuer: RunningSandbox, tmp_path: Path) -> Generator[str]:
    """The HTTP app authenticating with the sandbox's JWTs; its resource URL is its own endpoint's URL."""
    sock = loopback_socket()
    resource = f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    options = HostingOptions(auth=IssuerAuth(issuer.issuer, resource), allow_writes=True)
    with http_server(sandbox_settings(issuer, tmp_path), options, sock) as url:
        yield url


async def test_over_http_refusals_are_401_with_the_metadata_and_the_metadata_is_served(
    issuer: RunningSandbox, jwt_server: str
) -> None:
    expired = issuer.mint_jwt(_claims(issuer, aud=jwt_server, exp=int(time.time()) - 3600))
    other_audience = oauth_token(issuer, "reader", "reader-secret-0123456789", resource="https://elsewhere.example/mcp")
    api_token = oauth_token(issuer, "reader", "reader-secret-0123456789", resource=None)
    async with httpx2.AsyncClient() as client:
        for token in (None, "garbage", expired, other_audience, api_token):
            response = await client.post(jwt_server, headers=bearer(token), json={})
            assert response.status_code == 401, token
            challenge = response.headers["www-authenticate"]
            assert challenge.startswith("Bearer ") and "resource_metadata=" in challenge
            # RFC 6750, 3.1: a request that sent no credentials gets no error code.
            assert ('error="invalid_token"' in challenge) is (token is not None), challenge
        metadata_url = challenge.split('resource_metadata="', 1)[1].rstrip('"')
        metadata = (await client.get(metadata_url)).json()
    assert metadata["resource"].rstrip("/") == jwt_server
    assert metadata["authorization_servers"] == [issuer.issuer + "/"] or metadata["authorization_servers"] == [
        issuer.issuer
    ]
    assert set(metadata["scopes_supported"]) == {"frontdoor:read", "frontdoor:write", "frontdoor:tokens"}


async def test_over_http_the_tokens_scopes_decide_the_tools(issuer: RunningSandbox, jwt_server: str, era: str) -> None:
    reader = oauth_token(issuer, "reader", "reader-secret-0123456789", resource=jwt_server)
    writer = oauth_token(issuer, "writer", "writer-secret-0123456789", resource=jwt_server)
    async with mcp_over_http(jwt_server, reader, era) as client:
        read_tools = {tool.name for tool in (await client.list_tools()).tools}
    async with mcp_over_http(jwt_server, writer, era) as client:
        write_tools = {tool.name for tool in (await client.list_tools()).tools}
    assert "list_client_certificates" in read_tools and "delete_client_certificate" not in read_tools
    assert "delete_client_certificate" in write_tools


# The sandbox as the issuer, as the README tries it -----------------------------------------------------------


def test_the_sandbox_registers_a_client_for_the_http_servers_own_scopes() -> None:
    assert MCP_SERVER_SCOPES == SCOPES


async def test_the_sandboxs_own_mcp_client_sees_every_tool(issuer: RunningSandbox, jwt_server: str) -> None:
    """The sandbox grants its MCP client the HTTP server's scopes (frontdoor:*), not NetFoundry's (frontdoor.*):
    with its token, a principal sees and uses every remote tool."""
    token = oauth_token(issuer, issuer.mcp_client_id, issuer.mcp_client_secret, resource=jwt_server)
    async with mcp_over_http(jwt_server, token, "legacy") as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        made = await client.call_tool("create_certificate_request_token", {"name": "issuer-mode"})
    assert tools == {tool.name for tool in offered(ALL_TOOLS, read_only=False, remote=True)}
    assert not made.is_error


@contextmanager
def serving(command: list[str], resource: str, env: dict[str, str]) -> Generator[None]:
    """`command` (an `http` command) running, until it says it serves `resource`."""
    server = subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        assert server.stderr is not None
        said: list[str] = []
        while not said or f"at {resource} " not in said[-1]:  # uv may say something first
            line = server.stderr.readline()
            assert line, f"the server stopped: {said}"
            said.append(line)
        yield
    finally:
        server.terminate()
        server.wait(15)


@pytest.mark.slow
@pytest.mark.anyio
async def test_oauth_mode_end_to_end_on_one_machine_with_the_sandbox_as_issuer(tmp_path: Path) -> None:
    """The README's OAuth-mode try, as the sandbox's banner prints it: `frontdoor-mcp sandbox`, then its three
    lines run as printed (the API settings exported; the HTTP server started as a client here would start it,
    with the sandbox as its issuer; the token from the sandbox's token endpoint with curl), the one substitution
    being the HTTP server's port (a free one, not 8765, which may be taken); then an MCP client with the token."""
    with spawned(["--db", str(tmp_path / "sandbox.db"), "--port", "0"]) as sandbox:
        heading = next(line for line in sandbox.banner if line.startswith("The HTTP server's OAuth mode"))
        at = sandbox.banner.index(heading)
        export, serve, fetch = (shlex.split(line) for line in sandbox.banner[at + 1 : at + 4])
        with loopback_socket() as probe:
            port = probe.getsockname()[1]
        resource = f"http://127.0.0.1:{port}/mcp"

        def on_our_port(words: list[str]) -> list[str]:
            return [word.replace(MCP_RESOURCE_EXAMPLE, resource) for word in words]

        assert export[0] == "export" and MCP_RESOURCE_EXAMPLE in serve and f"resource={MCP_RESOURCE_EXAMPLE}" in fetch
        shell = {k: v for k, v in os.environ.items() if not k.startswith(("FRONTDOOR_", "NETFOUNDRY_", "VIRTUAL_ENV"))}
        env = shell | dict(word.split("=", 1) for word in export[1:])
        assert set(env) - set(shell) == {"FRONTDOOR_API_URL", "FRONTDOOR_ID", "NETFOUNDRY_API_TOKEN"}
        with serving([*on_our_port(serve), "--port", str(port)], resource, env):
            with anyio.fail_after(60):
                fetched = await anyio.run_process(on_our_port(fetch))
            token = str(json.loads(fetched.stdout)["access_token"])
            async with mcp_over_http(resource, token, "legacy") as client:
                tools = (await client.list_tools()).tools
                listed = await client.call_tool("list_client_certificates", {})
    assert serve[:4] == ["uv", "run", "--directory", str(Path(__file__).resolve().parent.parent)], serve
    assert len(tools) == len(offered(ALL_TOOLS, read_only=False, remote=True))
    assert not listed.is_error
