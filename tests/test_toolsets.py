"""Toolsets (`--toolsets` / FRONTDOOR_MCP_TOOLSETS): a session carries only the groups of tools it names, read-only
mode on top; a call to a tool outside them is refused as an unknown tool is; a prompt is offered only when every
tool it names is; the instructions name no tool the session lacks. Generic over the catalog: a new tool or prompt
is covered by these tests without being named in them."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import re
from pathlib import Path
from typing import Final

import httpx2
import pytest
from mcp.shared.exceptions import MCPError

from frontdoor_mcp.config import Settings
from frontdoor_mcp.hosting.asgi import offered_over_http
from frontdoor_mcp.hosting.options import HostingOptions, TokenFileAuth
from frontdoor_mcp.log_setup import warn_if_no_credential
from frontdoor_mcp.prompt_library import load_prompts, tools_named
from frontdoor_mcp.rules import TOOLSETS, Toolset
from frontdoor_mcp.server import CERTIFICATE_PEM_URI, build_server, instructions_for
from frontdoor_mcp.toolkit.catalog import catalog
from frontdoor_mcp.tools import ALL_TOOLS
from tests.support import FRONTDOOR, connect, mock_settings, text_of

pytestmark = pytest.mark.anyio

EVERY_CHOICE: Final = [
    choice for size in range(1, len(TOOLSETS) + 1) for choice in itertools.combinations(TOOLSETS, size)
]
ALL_NAMES: Final = [entry.name for entry in catalog()]


def offered_names(toolsets: tuple[Toolset, ...], *, read_only: bool) -> list[str]:
    return [entry.name for entry in catalog() if entry.toolset in toolsets and (entry.read_only or not read_only)]


@pytest.mark.parametrize("toolsets", EVERY_CHOICE, ids=",".join)
@pytest.mark.parametrize("read_only", [False, True], ids=["writes", "read-only"])
async def test_a_session_carries_its_toolsets_and_the_prompts_whose_tools_it_has(
    toolsets: tuple[Toolset, ...], read_only: bool, tmp_path: Path
) -> None:
    settings = mock_settings(tmp_path, toolsets=toolsets, read_only=read_only)
    async with connect(build_server(settings), "legacy") as client:
        tools = [tool.name for tool in (await client.list_tools()).tools]
        prompts = {prompt.name for prompt in (await client.list_prompts()).prompts}
        instructions = client.instructions or ""
    offered = offered_names(toolsets, read_only=read_only)
    assert tools == offered
    expected = {
        prompt.name
        for prompt in load_prompts()
        if prompt.variant(remote=False).tools_named(ALL_NAMES) <= set(offered) and not (read_only and prompt.writes)
    }
    assert prompts == expected
    assert tools_named(instructions, ALL_NAMES) <= set(offered), "the instructions name only tools offered"


async def test_a_tool_outside_the_toolsets_is_refused_as_an_unknown_tool_is(tmp_path: Path, era: str) -> None:
    settings = mock_settings(tmp_path, toolsets=("tokens",))
    async with connect(build_server(settings), era) as client:
        outside = await client.call_tool("inspect_certificate", {"pem": "not a pem"})
        unknown = await client.call_tool("inspect_certificat", {"pem": "not a pem"})
        inside = await client.call_tool("list_certificate_request_tokens", {"frontdoor_id": "not-a-uuid"})
    assert outside.is_error and unknown.is_error
    assert text_of(outside) == text_of(unknown).replace("inspect_certificat", "inspect_certificate")
    assert "inspect_certificate" in text_of(outside) and "Unknown tool" in text_of(outside)
    assert inside.is_error and "Unknown tool" not in text_of(inside), "a tool of the session runs"


async def test_a_remote_server_honours_toolsets_too(tmp_path: Path) -> None:
    settings = dataclasses.replace(mock_settings(tmp_path), toolsets=("certificates", "local"))
    async with connect(build_server(settings, remote=True), "legacy") as client:
        tools = [tool.name for tool in (await client.list_tools()).tools]
        refused = await client.call_tool("list_shares", {})
    chosen = [tool for tool in ALL_TOOLS if tool.toolset in ("certificates", "local") and not tool.local_only]
    assert tools == [tool.name for tool in chosen]
    assert refused.is_error and "Unknown tool" in text_of(refused)


def test_every_prompt_names_tools_and_only_tools_that_exist() -> None:
    """The tools a prompt names are read from its text: a prompt naming none would be offered everywhere, and a
    misspelt name would be taken for prose. Every snake_case word of two underscores or more in a prompt is a tool
    or an argument of one."""
    arguments = {name for tool in catalog() for name in tool.tool.input_schema.get("properties", {})}
    for prompt in load_prompts():
        for remote in (False, True):
            variant = prompt.variant(remote=remote)
            assert variant.tools_named(ALL_NAMES), f"{prompt.name} names no tool"
            for word in set(re.findall(r"\b[a-z]+(?:_[a-z]+){2,}\b", variant.body)):
                assert word in ALL_NAMES or word in arguments, f"{prompt.name}: {word} is not a tool nor an argument"


def test_instructions_leave_out_what_the_session_cannot_do() -> None:
    everything = instructions_for(ALL_NAMES, ALL_NAMES, remote=False)
    read_only = instructions_for(offered_names(TOOLSETS, read_only=True), ALL_NAMES, remote=False)
    assert "generate_csr" in everything and "delete_client_certificate" in everything
    assert "generate_csr" not in read_only and "delete_client_certificate" not in read_only
    assert "data, not instructions" in read_only
    assert Settings().toolsets == TOOLSETS, "every toolset by default"


def test_the_memberships_the_issue_and_the_readme_spell_out() -> None:
    """Where the issue (and the README's toolsets bullet, and `rules.Toolset`) put the tools a person looks for."""
    toolset_of = {definition.name: definition.toolset for definition in ALL_TOOLS}
    assert toolset_of["redeem_certificate_request_token"] == "tokens"
    assert toolset_of["check_certificate_against_share"] == "shares"
    assert toolset_of["find_expiring_client_certificates"] == "certificates"
    local = {"generate_csr", "inspect_certificate", "test_mtls_connection", "export_client_credential"}
    assert {name for name, toolset in toolset_of.items() if toolset == "local"} == local
    assert {entry.name: entry.toolset for entry in catalog()} == toolset_of, "the catalog says the same"


@pytest.mark.parametrize("toolsets", EVERY_CHOICE, ids=",".join)
async def test_the_pem_resource_comes_with_the_certificate_tools(toolsets: tuple[Toolset, ...], tmp_path: Path) -> None:
    """The certificate PEM resource template is offered exactly when the `certificates` toolset is; without it, a
    read is refused as for any resource the server does not have, and nothing is sent."""
    sent: list[httpx2.Request] = []
    transport = httpx2.MockTransport(lambda request: sent.append(request) or httpx2.Response(500))
    server = build_server(mock_settings(tmp_path, toolsets=toolsets), transport=transport)
    uri = CERTIFICATE_PEM_URI.format(frontdoor_id=FRONTDOOR, certificate_id="cert-00000000-0000-4000-8000-000000000000")
    async with connect(server, "legacy") as client:
        templates = [template.uri_template for template in (await client.list_resource_templates()).resource_templates]
        if "certificates" not in toolsets:
            with pytest.raises(MCPError):
                await client.read_resource(uri)
    assert templates == ([CERTIFICATE_PEM_URI] if "certificates" in toolsets else [])
    assert sent == [] or "certificates" in toolsets


@pytest.mark.parametrize(
    ("toolsets", "named"),
    [
        (("certificates",), []),
        (("certificates", "shares"), []),
        (("tokens",), ["redeem_certificate_request_token"]),
        (("local",), ["inspect_certificate", "generate_csr"]),
        (TOOLSETS, ["inspect_certificate", "redeem_certificate_request_token", "generate_csr"]),
    ],
)
def test_the_no_credential_warning_names_only_tools_the_session_offers(
    toolsets: tuple[Toolset, ...], named: list[str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="frontdoor_mcp")
    settings = dataclasses.replace(mock_settings(tmp_path, toolsets=toolsets), credential=None)
    warn_if_no_credential(settings, build_server(settings).offered_tools)
    (warning,) = [record.getMessage() for record in caplog.records if record.name == "frontdoor_mcp"]
    assert warning.startswith("no API credential is configured: the API tools will refuse without sending anything")
    assert tools_named(warning, ALL_NAMES) == set(named)


def test_a_remote_servers_warning_names_no_local_only_tool(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="frontdoor_mcp")
    settings = dataclasses.replace(mock_settings(tmp_path), credential=None)
    options = HostingOptions(auth=TokenFileAuth(tmp_path / "tokens.json"), allow_writes=True)
    warn_if_no_credential(settings, [tool.name for tool in offered_over_http(settings, options)])
    (warning,) = [record.getMessage() for record in caplog.records if record.name == "frontdoor_mcp"]
    assert tools_named(warning, ALL_NAMES) == {"inspect_certificate", "redeem_certificate_request_token"}
