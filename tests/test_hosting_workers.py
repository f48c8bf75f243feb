"""Several workers: `frontdoor-mcp http --stateless` as two processes sharing FRONTDOOR_MCP_STATE_KEYS, and
uvicorn with two workers running the ASGI factory. A 2026-era confirmation whose second leg reaches the other
process succeeds (and fails with another process's keys, so the test does cross processes); a 2025-11-25
client in stateless mode confirms with confirm=true whichever process answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Generator
from pathlib import Path

import httpx2
import pytest
from mcp.client.context import ClientRequestContext
from mcp_types import ElicitRequestParams, ElicitResult, ErrorData

from frontdoor_mcp.sandbox.runner import RunningSandbox
from tests.hosting_support import (
    STATE_KEY,
    Tokens,
    http_process,
    make_tokens,
    mcp_over_http,
    route_by_body,
    sandbox_environment,
)
from tests.support import make_certificate, ok, text_of

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

OTHER_KEY = "another-state-key-0123456789abcdef0123456789abcdef"


async def _accept(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult | ErrorData:
    return ElicitResult(action="accept", content={"confirm": True})


def _second_leg(body: bytes) -> bool:
    """The retry of a tools/call carrying the sealed state another worker handed out."""
    return b'"requestState"' in body


@pytest.fixture
def tokens(tmp_path: Path) -> Tokens:
    return make_tokens(tmp_path)


def _workers(sandbox: RunningSandbox, tokens: Tokens, keys: tuple[str, str]) -> Generator[tuple[str, str]]:
    args = ["--stateless", "--allow-writes", "--tokens-file", str(tokens.path)]
    with (
        http_process(args, sandbox_environment(sandbox, FRONTDOOR_MCP_STATE_KEYS=keys[0])) as first,
        http_process(args, sandbox_environment(sandbox, FRONTDOOR_MCP_STATE_KEYS=keys[1])) as second,
    ):
        yield first.url, second.url
        assert tokens.writer not in first.stderr() + second.stderr()


@pytest.fixture
def shared_keys(sandbox: RunningSandbox, tokens: Tokens) -> Generator[tuple[str, str]]:
    yield from _workers(sandbox, tokens, (STATE_KEY, STATE_KEY))


@pytest.fixture
def different_keys(sandbox: RunningSandbox, tokens: Tokens) -> Generator[tuple[str, str]]:
    yield from _workers(sandbox, tokens, (STATE_KEY, OTHER_KEY))


async def _upload(url: str, token: str, era: str) -> str:
    async with mcp_over_http(url, token, era) as client:
        created = await client.call_tool(
            "upload_client_certificate", {"name": "w", "certificate_pem": make_certificate()}
        )
    return str(ok(created)["id"])


async def test_a_2026_confirmation_answered_to_the_other_worker_succeeds(
    shared_keys: tuple[str, str], tokens: Tokens, sandbox: RunningSandbox
) -> None:
    first, second = shared_keys
    cert_id = await _upload(first, tokens.writer, "2026-07-28")
    routing = route_by_body(first, second, _second_leg)
    async with mcp_over_http(first, tokens.writer, "2026-07-28", elicitation=_accept, transport=routing) as client:
        deleted = ok(await client.call_tool("delete_client_certificate", {"certificate_id": cert_id}))
    assert deleted["deleted"] is True and deleted["confirmation"] == "elicitation"
    assert sandbox.faults.count(method="DELETE") == 1


async def test_with_another_workers_keys_the_second_leg_is_refused(
    different_keys: tuple[str, str], tokens: Tokens, sandbox: RunningSandbox
) -> None:
    first, second = different_keys
    cert_id = await _upload(first, tokens.writer, "2026-07-28")
    routing = route_by_body(first, second, _second_leg)
    async with mcp_over_http(first, tokens.writer, "2026-07-28", elicitation=_accept, transport=routing) as client:
        with pytest.raises(Exception, match="Invalid or expired requestState"):
            await client.call_tool("delete_client_certificate", {"certificate_id": cert_id})
    assert sandbox.faults.count(method="DELETE") == 0


async def test_a_2025_client_confirms_with_confirm_true_across_workers(
    shared_keys: tuple[str, str], tokens: Tokens, sandbox: RunningSandbox
) -> None:
    first, second = shared_keys
    cert_id = await _upload(first, tokens.writer, "legacy")
    alternate = iter(range(1_000))
    routing = route_by_body(first, second, lambda _body: next(alternate) % 2 == 1)
    async with mcp_over_http(first, tokens.writer, "legacy", elicitation=_accept, transport=routing) as client:
        asked = ok(await client.call_tool("delete_client_certificate", {"certificate_id": cert_id}))
        deleted = ok(await client.call_tool("delete_client_certificate", {"certificate_id": cert_id, "confirm": True}))
    assert asked["deleted"] is False and "confirm=true" in asked["how_to_confirm"]
    assert deleted["deleted"] is True and deleted["confirmation"] == "confirm_argument"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def uvicorn_workers(sandbox: RunningSandbox, tokens: Tokens) -> Generator[str]:
    """uvicorn with two workers running `frontdoor_mcp.hosting:create_app`, configured by the environment."""
    port = _free_port()
    env = sandbox_environment(
        sandbox,
        FRONTDOOR_MCP_HTTP_TOKENS_FILE=str(tokens.path),
        FRONTDOOR_MCP_HTTP_ALLOWED_HOSTS="127.0.0.1:*",
        FRONTDOOR_MCP_HTTP_STATELESS="1",
        FRONTDOOR_MCP_HTTP_ALLOW_WRITES="1",
        FRONTDOOR_MCP_STATE_KEYS=STATE_KEY,
    )
    command = [sys.executable, "-m", "uvicorn", "--factory", "frontdoor_mcp.hosting:create_app"]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--workers", "2", "--log-level", "warning"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx2.get(url, timeout=1).status_code == 401:
                    break
            except httpx2.TransportError:
                time.sleep(0.1)  # slow test: waiting for two worker processes to come up
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        yield url
    finally:
        process.terminate()
        process.wait(20)


async def test_uvicorn_workers_share_the_confirmation(uvicorn_workers: str, tokens: Tokens) -> None:
    for _ in range(4):  # the kernel spreads connections over the workers: some rounds cross, none fail
        cert_id = await _upload(uvicorn_workers, tokens.writer, "2026-07-28")
        async with mcp_over_http(uvicorn_workers, tokens.writer, "2026-07-28", elicitation=_accept) as client:
            result = await client.call_tool("delete_client_certificate", {"certificate_id": cert_id})
        assert ok(result)["deleted"] is True, text_of(result)


def test_the_factory_refuses_to_start_without_its_settings(sandbox: RunningSandbox, tokens: Tokens) -> None:
    env = sandbox_environment(sandbox, FRONTDOOR_MCP_HTTP_TOKENS_FILE=str(tokens.path))
    command = [sys.executable, "-m", "uvicorn", "--factory", "frontdoor_mcp.hosting:create_app", "--port", "0"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 3, done.stderr
    assert "frontdoor-mcp: FRONTDOOR_MCP_HTTP_STATELESS must be set" in done.stderr
    assert os.environ.get("FRONTDOOR_MCP_HTTP_STATELESS") is None
