"""The OAuth2 client-credentials flow against the sandbox's token endpoint, through the real MCP server:
one token for many calls, renewal before expiry, once after a 401, and one renewal for concurrent calls."""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote_plus

import anyio
import httpx2
import pytest
from mcp import Client

from frontdoor_mcp.api.auth import (
    MAX_TOKEN_LIFETIME_SECONDS,
    MIN_TOKEN_LIFETIME_SECONDS,
    RENEW_BEFORE_SECONDS,
    BearerToken,
    ClientCredentials,
    Secret,
    jwt_expiry,
)
from frontdoor_mcp.sandbox.faults.controller import Fault
from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from frontdoor_mcp.server import build_server
from tests.support import (
    CANARY_TOKEN,
    connect,
    make_certificate,
    ok,
    sandbox_settings,
    text_of,
)

pytestmark = pytest.mark.anyio

TOKEN_PATH = "/oauth/token"
CERTS_PATH = "/client-certificates"


class Clock:
    """The real clock plus an offset the test moves."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance_to(self, moment: float) -> None:
        self.offset = moment - time.time()


@pytest.fixture
def world() -> Clock:
    """A clock shared by the client and the sandbox (`start_sandbox(clock=...)`), so the test can let an
    hour pass: old tokens near their exp, new ones minted at the moved time."""
    return Clock()


@pytest.fixture
def sandbox(world: Clock) -> Iterator[RunningSandbox]:
    """conftest's `sandbox`, on the `world` clock: the real time until a test moves it."""
    with start_sandbox(token=CANARY_TOKEN, clock=world) as running:
        yield running


def oauth(sandbox: RunningSandbox, clock: Clock | None = None, *, secret: str | None = None) -> ClientCredentials:
    return ClientCredentials(
        sandbox.client_id,
        Secret(sandbox.client_secret if secret is None else secret),
        sandbox.token_url,
        source="NETFOUNDRY_API_ACCOUNT",
        clock=clock or time.time,
    )


def token_requests(sandbox: RunningSandbox) -> int:
    return sandbox.faults.count(path_contains=TOKEN_PATH)


def list_requests(sandbox: RunningSandbox) -> int:
    return sandbox.faults.count(method="GET", path_contains=CERTS_PATH)


async def list_ok(client: Client) -> None:
    ok(await client.call_tool("list_client_certificates", {}))


async def test_one_token_serves_many_calls(sandbox: RunningSandbox, era: str, tmp_path: Path) -> None:
    credential = oauth(sandbox)
    async with connect(build_server(sandbox_settings(sandbox, tmp_path, credential=credential)), era) as client:
        for _ in range(5):
            await list_ok(client)
    assert token_requests(sandbox) == 1 and list_requests(sandbox) == 5
    expiry = credential.expires_at()
    assert expiry is not None and 3590 <= expiry.timestamp() - time.time() <= 3601, "the JWT's exp is used"


async def test_renewed_when_fewer_than_600_seconds_remain(
    sandbox: RunningSandbox, world: Clock, tmp_path: Path
) -> None:
    credential = oauth(sandbox, world)
    async with connect(build_server(sandbox_settings(sandbox, tmp_path, credential=credential)), "legacy") as client:
        await list_ok(client)
        first = await credential.current_token()
        expiry = credential.expires_at()
        assert expiry is not None and token_requests(sandbox) == 1

        world.advance_to(expiry.timestamp() - (RENEW_BEFORE_SECONDS + 5))  # 605 s left: keep it
        await list_ok(client)
        assert token_requests(sandbox) == 1

        world.advance_to(expiry.timestamp() - (RENEW_BEFORE_SECONDS - 5))  # 595 s left: renew before the call
        await list_ok(client)
        assert token_requests(sandbox) == 2
        assert await credential.current_token() != first
        await list_ok(client)  # the new token has its full hour
    assert token_requests(sandbox) == 2 and list_requests(sandbox) == 4
    assert all(r.status == 200 for r in sandbox.faults.requests), "no request went out with a stale token"


async def test_a_short_lived_token_is_renewed_at_half_its_life(world: Clock, tmp_path: Path) -> None:
    """A token issued for under 20 minutes is not renewed on every call (it always has < 600 s left)."""
    with start_sandbox(token_ttl=120, clock=world) as sandbox:
        credential = oauth(sandbox, world)
        server = build_server(sandbox_settings(sandbox, tmp_path, credential=credential))
        async with connect(server, "legacy") as client:
            for _ in range(3):
                await list_ok(client)
            assert token_requests(sandbox) == 1
            expiry = credential.expires_at()
            assert expiry is not None
            world.advance_to(expiry.timestamp() - 50)  # past half of its 120 s
            await list_ok(client)
            assert token_requests(sandbox) == 2


async def test_renewed_once_after_a_401_and_the_request_repeated(sandbox: RunningSandbox, tmp_path: Path) -> None:
    """A token can be revoked or rotated before its exp: a 401 gets one renewal and one more try."""
    credential = oauth(sandbox)
    async with connect(build_server(sandbox_settings(sandbox, tmp_path, credential=credential)), "legacy") as client:
        await list_ok(client)
        sandbox.faults.add(Fault(kind="status", status=401, method="GET", path_contains=CERTS_PATH, times=1))
        await list_ok(client)
        assert (token_requests(sandbox), list_requests(sandbox)) == (2, 3)

        # A write is repeated with its body intact, and happens once.
        sandbox.faults.add(Fault(kind="status", status=401, method="POST", path_contains=CERTS_PATH, times=1))
        pem = make_certificate("after-401")
        uploaded = ok(
            await client.call_tool("upload_client_certificate", {"name": "after-401", "certificate_pem": pem})
        )
        listed = ok(await client.call_tool("list_client_certificates", {}))
    assert uploaded["name"] == "after-401"
    assert [item["name"] for item in listed["items"]] == ["after-401"]
    assert token_requests(sandbox) == 3 and sandbox.faults.count(method="POST", path_contains=CERTS_PATH) == 2


async def test_a_second_401_stands_after_one_renewal(sandbox: RunningSandbox, tmp_path: Path) -> None:
    credential = oauth(sandbox)
    sandbox.faults.add(Fault(kind="status", status=401, path_contains=CERTS_PATH, times=None))
    async with connect(build_server(sandbox_settings(sandbox, tmp_path, credential=credential)), "legacy") as client:
        result = await client.call_tool("list_client_certificates", {})
    assert result.is_error
    assert "401" in text_of(result) and "NETFOUNDRY_API_ACCOUNT" in text_of(result)
    assert "A freshly obtained token was refused too" in text_of(result)
    assert (token_requests(sandbox), list_requests(sandbox)) == (2, 2), "one renewal, one repeat, no loop"


async def test_a_token_the_api_finds_expired_is_renewed(tmp_path: Path) -> None:
    """No fault injection: the client's clock runs 1000 s slow, so it trusts a 1 s token the API has expired."""
    with start_sandbox(token_ttl=1) as sandbox:
        clock = Clock()
        clock.offset = -1000.0
        credential = oauth(sandbox, clock)
        server = build_server(sandbox_settings(sandbox, tmp_path, credential=credential))
        async with connect(server, "legacy") as client:
            await list_ok(client)
            expiry = credential.expires_at()
            assert expiry is not None
            await anyio.sleep(max(0.0, expiry.timestamp() - time.time()) + 0.05)
            await list_ok(client)
        assert (token_requests(sandbox), list_requests(sandbox)) == (2, 3)
        assert [r.status for r in sandbox.faults.requests if CERTS_PATH in r.path] == [200, 401, 200]


async def test_concurrent_calls_share_one_token_request(
    sandbox: RunningSandbox, world: Clock, era: str, tmp_path: Path
) -> None:
    credential = oauth(sandbox, world)
    # Every token request is slowed down, so the concurrent calls really do wait on the same one.
    sandbox.faults.add(Fault(kind="latency", latency_s=0.2, path_contains=TOKEN_PATH, times=None))
    async with connect(build_server(sandbox_settings(sandbox, tmp_path, credential=credential)), era) as client:
        async with anyio.create_task_group() as group:
            for _ in range(12):
                group.start_soon(list_ok, client)
        assert token_requests(sandbox) == 1

        first = await credential.current_token()
        expiry = credential.expires_at()
        assert expiry is not None
        world.advance_to(expiry.timestamp() - 300)  # near expiry: the next calls renew, once for all of them
        async with anyio.create_task_group() as group:
            for _ in range(12):
                group.start_soon(list_ok, client)
        assert await credential.current_token() != first
    assert token_requests(sandbox) == 2 and list_requests(sandbox) == 24


async def test_a_refused_client_secret_is_a_clear_error_without_the_secret(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    wrong = "wrong-secret-3b9f1d7c"
    credential = oauth(sandbox, secret=wrong)
    async with connect(build_server(sandbox_settings(sandbox, tmp_path, credential=credential)), "legacy") as client:
        result = await client.call_tool("list_client_certificates", {})
    message = text_of(result)
    assert result.is_error
    assert "Could not obtain an access token with the credentials from NETFOUNDRY_API_ACCOUNT" in message
    assert "HTTP 401 (invalid_client)" in message and "frontdoor-mcp doctor" in message
    assert wrong not in message and sandbox.client_secret not in message
    assert list_requests(sandbox) == 0, "no API request without a token"


async def test_an_unreachable_token_endpoint_is_a_clear_error(tmp_path: Path) -> None:
    with start_sandbox() as sandbox:
        dead = start_sandbox()
        dead.stop()
        credential = ClientCredentials(
            sandbox.client_id, Secret(sandbox.client_secret), dead.token_url, source="NETFOUNDRY_OAUTH_URL"
        )
        async with connect(build_server(sandbox_settings(sandbox, tmp_path, credential=credential)), "legacy") as c:
            result = await c.call_tool("list_client_certificates", {})
    assert result.is_error and "the token endpoint could not be reached" in text_of(result)


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(home)
    return home


async def test_the_token_is_kept_in_memory_only(sandbox: RunningSandbox, isolated_home: Path) -> None:
    credential = oauth(sandbox)
    settings = sandbox_settings(sandbox, isolated_home.parent, credential=credential)
    async with connect(build_server(settings), "legacy") as client:
        await list_ok(client)
    assert token_requests(sandbox) == 1
    assert list(isolated_home.rglob("*")) == [], "nothing written to the home or working directory"


def _jwt(payload: str) -> str:
    def b64(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()

    return ".".join([b64('{"alg":"none"}'), b64(payload), "sig"])


@pytest.mark.parametrize("exp", ["1e20", "-1e20", "Infinity", "NaN", "1e400"])
def test_jwt_expiry_of_a_nonsense_exp_is_none(exp: str) -> None:
    assert jwt_expiry(_jwt(f'{{"exp": {exp}}}')) is None
    assert BearerToken(Secret(_jwt(f'{{"exp": {exp}}}')), source="t").expires_at() is None


@pytest.mark.parametrize(
    ("expires_in", "lifetime"),
    [
        (1e20, MAX_TOKEN_LIFETIME_SECONDS),
        (math.inf, MAX_TOKEN_LIFETIME_SECONDS),
        (-5, MIN_TOKEN_LIFETIME_SECONDS),
        (math.nan, MIN_TOKEN_LIFETIME_SECONDS),
        (120, 120.0),
    ],
)
async def test_a_silly_expires_in_is_clamped(expires_in: float, lifetime: float) -> None:
    now = 1_700_000_000.0
    grant = json.dumps({"access_token": "opaque", "token_type": "Bearer", "expires_in": expires_in})
    transport = httpx2.MockTransport(lambda request: httpx2.Response(200, content=grant.encode()))
    credential = ClientCredentials(
        "id", Secret("pw"), "https://login.example/oauth/token", source="t", transport=transport, clock=lambda: now
    )
    await credential.current_token()
    expires_at = credential.expires_at()
    assert expires_at is not None and expires_at.timestamp() == now + lifetime


async def test_the_token_request_ignores_environment_proxies(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there: a request through it fails
    credential = ClientCredentials(sandbox.client_id, Secret(sandbox.client_secret), sandbox.token_url, source="t")
    assert (await credential.current_token()).reveal().count(".") == 2


def test_the_sandbox_token_endpoint_takes_a_secret_with_plus_and_percent_raw_or_form_encoded() -> None:
    secret = "a+b%2Fc d"
    grant = {"grant_type": "client_credentials"}
    with start_sandbox(client_id="sbx-client-x", client_secret=secret) as sandbox:
        raw_pair = f"sbx-client-x:{secret}"  # how requests' HTTPBasicAuth and httpx send it
        encoded_pair = f"{quote_plus('sbx-client-x')}:{quote_plus(secret)}"  # RFC 6749 2.3.1
        for pair in (raw_pair, encoded_pair):
            header = "Basic " + base64.b64encode(pair.encode()).decode()
            response = httpx2.post(sandbox.token_url, data=grant, headers={"Authorization": header}, trust_env=False)
            assert response.status_code == 200, pair
        wrong = "Basic " + base64.b64encode(b"sbx-client-x:a b%2Fc d").decode()
        response = httpx2.post(sandbox.token_url, data=grant, headers={"Authorization": wrong}, trust_env=False)
        assert response.status_code == 401
