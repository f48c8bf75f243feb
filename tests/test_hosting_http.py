"""The HTTP server through real HTTP (uvicorn on loopback), with the SDK's client in both protocol eras:
the refusals in front of MCP (401, 421, 403, 413, 429), scopes per tool, nothing of the server's disk, writes
only when allowed, delete confirmation in stateful and stateless mode, and the audit line of every write."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Generator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp.client.context import ClientRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import ElicitRequestParams, ElicitResult, ErrorData

from frontdoor_mcp.hosting.audit import AUDIT_LOGGER
from frontdoor_mcp.hosting.callers import AUTH_LOGGER, RefusalLog, calling_from
from frontdoor_mcp.hosting.guard import allowed
from frontdoor_mcp.hosting.log_format import JsonLinesFormatter
from frontdoor_mcp.prompt_library import tools_named
from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.toolkit.adapter import built_tool
from frontdoor_mcp.toolkit.definition import is_local_file_argument
from frontdoor_mcp.tools import ALL_TOOLS
from tests.clocks import ManualClock
from tests.hosting_support import STATE_KEY, Tokens, bearer, http_server, make_tokens, mcp_over_http, options_for
from tests.support import fresh_lane, make_certificate, ok, sandbox_settings, text_of

pytestmark = pytest.mark.anyio

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


@pytest.fixture
def lane(module_sandbox: RunningSandbox) -> RunningSandbox:
    return fresh_lane(module_sandbox)


@pytest.fixture
def tokens(tmp_path: Path) -> Tokens:
    return make_tokens(tmp_path)


def _serve(lane: RunningSandbox, tmp_path: Path, tokens: Tokens, **options: Any) -> Any:
    return http_server(sandbox_settings(lane, tmp_path), options_for(tokens, **options))


@pytest.fixture
def url(lane: RunningSandbox, tmp_path: Path, tokens: Tokens) -> Generator[str]:
    with _serve(lane, tmp_path, tokens) as served:
        yield served


def _accepting(asked: list[str]):
    async def answer(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult | ErrorData:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    return answer


async def test_without_a_valid_token_it_is_401_with_a_challenge(url: str, tokens: Tokens) -> None:
    async with httpx2.AsyncClient() as client:
        for token in (None, "garbage", tokens.writer[:-2] + "xx"):
            response = await client.post(url, headers=bearer(token, **MCP_HEADERS), json=INITIALIZE)
            assert response.status_code == 401
            challenge = response.headers["www-authenticate"]
            if token is None:  # RFC 6750, 3.1: no credentials sent, so no error code
                assert challenge == "Bearer" and "error" not in response.json()
            else:
                assert challenge.startswith('Bearer error="invalid_token"')
        accepted = await client.post(url, headers=bearer(tokens.writer, **MCP_HEADERS), json=INITIALIZE)
    assert accepted.status_code == 200


async def test_a_wrong_token_is_told_from_a_missing_one_and_logged_without_it(
    url: str, tokens: Tokens, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=AUTH_LOGGER)
    wrong = tokens.writer[:-2] + "xx"
    async with httpx2.AsyncClient() as client:
        missing = await client.post(url, headers=bearer(None, **MCP_HEADERS), json=INITIALIZE)
        logged_for_missing = [record.getMessage() for record in caplog.records]
        refused = await client.post(url, headers=bearer(wrong, **MCP_HEADERS), json=INITIALIZE)
    assert missing.status_code == refused.status_code == 401
    assert "Authentication required" in missing.json()["error_description"]
    assert "not accepted" in refused.json()["error_description"]
    assert logged_for_missing == [], "no token sent: nothing to log"
    lines = [record.getMessage() for record in caplog.records if record.name == AUTH_LOGGER]
    assert lines == ["refused a bearer token (principal unknown) from 127.0.0.1: it is in no entry of the tokens file"]
    assert wrong not in caplog.text and wrong[:12] not in caplog.text


def test_refusals_are_logged_once_per_reason_a_minute_then_counted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=AUTH_LOGGER)
    clock = ManualClock(1000.0)
    refusals = RefusalLog(clock=clock)
    with calling_from("10.0.0.7"):
        for _ in range(5):
            refusals.refused("it has expired")
            clock.now += 10  # 0..40 s: one line
        refusals.refused("not a JWT")  # another reason: its own line
        clock.now += 20  # 60 s after the first line
        refusals.refused("it has expired")
    with calling_from("203.0.113.9\nforged line"):
        clock.now += 61
        refusals.refused("it has expired")
    clock.now += 61
    refusals.refused("it has expired")  # no request: no address
    seen = [record.getMessage() for record in caplog.records if record.name == AUTH_LOGGER]
    prefix = "refused a bearer token (principal unknown) from"
    assert seen == [
        f"{prefix} 10.0.0.7: it has expired",
        f"{prefix} 10.0.0.7: not a JWT",
        f"{prefix} 10.0.0.7: it has expired (and 4 more refused for this reason since the last such line, not logged)",
        f"{prefix} 203.0.113.9?forged?line: it has expired",
        f"{prefix} an unknown address: it has expired",
    ]


async def test_over_http_a_stream_of_wrong_tokens_is_one_line_with_the_address(
    lane: RunningSandbox, tmp_path: Path, tokens: Tokens, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=AUTH_LOGGER)
    clock = ManualClock(1000.0)
    wrong = [tokens.writer[:-2] + f"x{index}" for index in range(4)]
    with http_server(sandbox_settings(lane, tmp_path), options_for(tokens), clock=clock) as served:
        async with httpx2.AsyncClient() as client:
            for index, token in enumerate(wrong):
                clock.now += 61 if index == 3 else 0  # the last one after the quiet minute
                refused = await client.post(served, headers=bearer(token, **MCP_HEADERS), json=INITIALIZE)
                assert refused.status_code == 401
    lines = [record.getMessage() for record in caplog.records if record.name == AUTH_LOGGER]
    assert lines == [
        "refused a bearer token (principal unknown) from 127.0.0.1: it is in no entry of the tokens file",
        "refused a bearer token (principal unknown) from 127.0.0.1: it is in no entry of the tokens file (and 2 "
        "more refused for this reason since the last such line, not logged)",
    ]
    assert not [token for token in wrong if token[:12] in caplog.text]


async def test_host_and_origin_are_checked_before_the_token(url: str, tokens: Tokens) -> None:
    async with httpx2.AsyncClient() as client:
        rebinding = await client.post(url, headers={**MCP_HEADERS, "host": "evil.example"}, json=INITIALIZE)
        foreign = await client.post(
            url, headers=bearer(tokens.writer, origin="https://evil.example", **MCP_HEADERS), json=INITIALIZE
        )
        local = await client.post(
            url, headers=bearer(tokens.writer, origin="http://localhost:3000", **MCP_HEADERS), json=INITIALIZE
        )
    assert rebinding.status_code == 421, "a wrong Host is refused even before authentication"
    assert foreign.status_code == 403
    assert local.status_code == 200


async def test_a_port_wildcard_admits_only_a_port_number(url: str, tokens: Tokens) -> None:
    port = httpx2.URL(url).port
    async with httpx2.AsyncClient() as client:

        async def status(host: str, origin: str | None = None) -> int:
            extra = {"origin": origin} if origin else {}
            headers = bearer(tokens.writer, host=host, **extra, **MCP_HEADERS)
            return (await client.post(url, headers=headers, json=INITIALIZE)).status_code

        assert await status(f"127.0.0.1:{port}") == 200
        assert await status(f"localhost:{port}", origin="http://localhost:5173") == 200
        for host in ("127.0.0.1:evil.example", "127.0.0.1:80@evil.example", "127.0.0.1:", "127.0.0.1.evil.example:80"):
            assert await status(host) == 421, host
        assert await status(f"127.0.0.1:{port}", origin="http://localhost:x.evil.example") == 403


def test_the_allow_list_rule() -> None:
    entries = ["127.0.0.1:*", "[::1]:*", "mcp.example.com", "a.test:8443"]
    assert [allowed(value, entries) for value in ("127.0.0.1:8765", "[::1]:1", "mcp.example.com", "a.test:8443")] == [
        True
    ] * 4
    for value in ("127.0.0.1", "127.0.0.1:x", "127.0.0.1:123456", "127.0.0.1:8765\n", "mcp.example.com:443", "a.test"):
        assert not allowed(value, entries), value


async def test_an_id_ending_in_a_newline_never_splits_the_audit_line(
    url: str, tokens: Tokens, lane: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """`$` matches before a final newline in Python's re: the ids are checked with full matches, so such an id is
    refused (and the audit line, which shows only ids of the strict shapes, leaves it out)."""
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    forged = "cert-00000000-0000-4000-8000-000000000001\nwrite principal=admin tool=delete_client_certificate"
    async with mcp_over_http(url, tokens.writer, "legacy") as client:
        refused = await client.call_tool("delete_client_certificate", {"certificate_id": forged, "confirm": True})
        renamed = await client.call_tool(
            "update_client_certificate", {"certificate_id": "cert-1\n", "frontdoor_id": f"{lane.frontdoor_id}\n"}
        )
    assert refused.is_error and renamed.is_error and "Invalid arguments" in text_of(refused)
    lines = [record.getMessage() for record in caplog.records if record.name == AUDIT_LOGGER]
    assert len(lines) == 2 and all("\n" not in line for line in lines)
    assert all("certificate=" not in line and "principal=admin" not in line for line in lines)
    assert f"frontdoor={lane.frontdoor_id} " in lines[1], "the configured frontdoor, not the one with a newline"


async def test_a_body_past_the_cap_is_413(lane: RunningSandbox, tmp_path: Path, tokens: Tokens) -> None:
    with _serve(lane, tmp_path, tokens, max_body_bytes=4096) as url:
        async with httpx2.AsyncClient() as client:
            response = await client.post(url, headers=bearer(tokens.writer, **MCP_HEADERS), content=b"{" * 5000)
    assert response.status_code == 413


async def test_a_principal_past_its_rate_gets_429_with_retry_after(
    lane: RunningSandbox, tmp_path: Path, tokens: Tokens
) -> None:
    now = [0.0]
    with http_server(
        sandbox_settings(lane, tmp_path), options_for(tokens, rate_per_minute=60, rate_burst=2), clock=lambda: now[0]
    ) as url:
        async with httpx2.AsyncClient() as client:

            async def post(token: str) -> httpx2.Response:
                return await client.post(url, headers=bearer(token, **MCP_HEADERS), json=INITIALIZE)

            first, second, third = [await post(tokens.writer) for _ in range(3)]
            other = await post(tokens.reader)
            now[0] += 1.0
            later = await post(tokens.writer)
    assert [first.status_code, second.status_code] == [200, 200]
    assert third.status_code == 429 and third.headers["retry-after"] == "1"
    assert other.status_code == 200, "each principal has its own budget"
    assert later.status_code == 200


async def test_a_reader_sees_no_write_tool_and_cannot_call_one(url: str, tokens: Tokens, every_era: str) -> None:
    async with mcp_over_http(url, tokens.reader, every_era) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        refused = await client.call_tool("delete_client_certificate", {"certificate_id": "cert-1", "confirm": True})
    scopes = {tool.name: tool.scope for tool in ALL_TOOLS}
    assert listed and all(scopes[name] == "frontdoor:read" for name in listed)
    assert "list_client_certificates" in listed
    assert refused.is_error
    assert "needs the scope frontdoor:write" in text_of(refused) and "(reader)" in text_of(refused)


async def test_nothing_of_the_servers_disk_is_offered(url: str, tokens: Tokens, era: str) -> None:
    async with mcp_over_http(url, tokens.writer, era) as client:
        tools = (await client.list_tools()).tools
        prompts = {prompt.name for prompt in (await client.list_prompts()).prompts}
        instructions = client.instructions or ""
    names = {tool.name for tool in tools}
    assert "generate_csr" not in names and "delete_client_certificate" in names
    if era == "legacy":  # a 2025-11-25 session carries the instructions in its initialize answer
        assert "generate_csr" not in instructions and "create_client_certificate_from_csr" in instructions
    local = {tool.name: set(tool.local_arguments) for tool in ALL_TOOLS}
    for tool in tools:
        arguments = set(tool.input_schema.get("properties", {}))
        assert not {name for name in arguments if is_local_file_argument(name)}, tool.name
        assert not arguments & local[tool.name], tool.name
    assert prompts, "the prompts that need no local file are still offered"


async def test_writes_are_off_unless_allowed(lane: RunningSandbox, tmp_path: Path, tokens: Tokens) -> None:
    with _serve(lane, tmp_path, tokens, allow_writes=False) as url:
        async with mcp_over_http(url, tokens.writer, "legacy") as client:
            listed = {tool.name for tool in (await client.list_tools()).tools}
    read_only = {tool.name for tool in ALL_TOOLS if tool.read_only}
    assert listed and listed <= read_only


async def _upload(client: Any) -> str:
    created = ok(
        await client.call_tool("upload_client_certificate", {"name": "http", "certificate_pem": make_certificate()})
    )
    return str(created["id"])


async def test_delete_is_confirmed_by_the_user_in_stateful_mode(url: str, tokens: Tokens, every_era: str) -> None:
    asked: list[str] = []
    async with mcp_over_http(url, tokens.writer, every_era, elicitation=_accepting(asked)) as client:
        cert_id = await _upload(client)
        deleted = ok(await client.call_tool("delete_client_certificate", {"certificate_id": cert_id}))
    assert deleted["deleted"] is True and deleted["confirmation"] == "elicitation"
    assert len(asked) == 1 and cert_id in asked[0]


async def test_stateless_asks_in_2026_and_needs_confirm_true_in_2025(
    lane: RunningSandbox, tmp_path: Path, tokens: Tokens, every_era: str
) -> None:
    asked: list[str] = []
    with _serve(lane, tmp_path, tokens, stateless=True, state_keys=(STATE_KEY,)) as url:
        async with mcp_over_http(url, tokens.writer, every_era, elicitation=_accepting(asked)) as client:
            cert_id = await _upload(client)
            first = ok(await client.call_tool("delete_client_certificate", {"certificate_id": cert_id}))
            if every_era == "legacy":
                assert first["deleted"] is False and "confirm=true" in first["how_to_confirm"]
                first = ok(
                    await client.call_tool("delete_client_certificate", {"certificate_id": cert_id, "confirm": True})
                )
    assert first["deleted"] is True
    if every_era == "legacy":
        assert asked == [] and first["confirmation"] == "confirm_argument"
    else:
        assert len(asked) == 1 and first["confirmation"] == "elicitation"


async def test_each_write_leaves_one_audit_line_and_no_secret(
    url: str, tokens: Tokens, lane: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    async with mcp_over_http(url, tokens.writer, "legacy") as client:
        cert_id = await _upload(client)
        await client.call_tool("list_client_certificates", {})
        await client.call_tool("delete_client_certificate", {"certificate_id": cert_id, "confirm": True})
    async with mcp_over_http(url, tokens.reader, "legacy") as client:
        await client.call_tool("delete_client_certificate", {"certificate_id": cert_id, "confirm": True})
    records = [record for record in caplog.records if record.name == AUDIT_LOGGER]
    audits = [getattr(record, "audit") for record in records]  # noqa: B009 (set through `extra`)
    assert [(a["principal"], a["tool"], a["outcome"]) for a in audits] == [
        ("writer", "upload_client_certificate", "done"),
        ("writer", "delete_client_certificate", "done"),
        ("reader", "delete_client_certificate", "refused-scope"),
    ]
    assert all(a["certificate"] == cert_id and a["frontdoor"] == lane.frontdoor_id for a in audits)
    lines = [JsonLinesFormatter().format(record) for record in records]
    assert json.loads(lines[1])["audit"]["tool"] == "delete_client_certificate"
    assert f"principal=writer tool=delete_client_certificate frontdoor={lane.frontdoor_id}" in records[1].getMessage()
    everything = "\n".join(lines + [record.getMessage() for record in caplog.records])
    assert tokens.writer not in everything and tokens.reader not in everything


async def test_prompts_over_http_follow_the_scopes_and_name_no_local_file(url: str, tokens: Tokens) -> None:
    """A prompt is offered only to a principal whose scopes allow every tool it names, and none, as a remote
    server gives it, names an argument the remote tools do not have (a file on the server's disk)."""
    remote_arguments = {
        name
        for tool in ALL_TOOLS
        if not tool.local_only
        for name in built_tool(tool, remote=True).parameters["properties"]
    }
    local_only = {
        name
        for tool in ALL_TOOLS
        for name in built_tool(tool).parameters["properties"]
        if tool.drops_remotely(name) and name not in remote_arguments
    } | {tool.name for tool in ALL_TOOLS if tool.local_only}
    scopes = {tool.name: tool.scope for tool in ALL_TOOLS}
    known = [tool.name for tool in ALL_TOOLS]
    async with mcp_over_http(url, tokens.writer, "legacy") as client:
        everyone = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}
        texts: dict[str, str] = {}
        for name, prompt in everyone.items():
            values = {argument.name: "x" for argument in prompt.arguments or []}
            got = await client.get_prompt(name, values)
            texts[name] = " ".join(str(getattr(message.content, "text", "")) for message in got.messages)
    async with mcp_over_http(url, tokens.reader, "legacy") as client:
        for_reader = {prompt.name for prompt in (await client.list_prompts()).prompts}
        with pytest.raises(MCPError, match="may not use"):
            await client.get_prompt("delegate-client-certificate", {"recipient": "r", "name": "n"})
    assert "delegate-client-certificate" in everyone and "audit-client-certificates" in everyone
    for name, text in texts.items():
        named = set(re.findall(r"[a-z_]+", text))
        assert not named & local_only, (name, named & local_only)
        assert "<!--" not in text, name
    for name in everyone:
        needs = {scopes[tool] for tool in tools_named(texts[name], known)}
        assert (name in for_reader) == (needs <= {"frontdoor:read"}), name
    assert "audit-client-certificates" in for_reader and "delegate-client-certificate" not in for_reader
