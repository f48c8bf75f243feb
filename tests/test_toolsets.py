"""Toolsets (`--toolsets` / FRONTDOOR_MCP_TOOLSETS): a session carries only the groups of tools it names, read-only
mode on top; a call to a tool outside them is refused as an unknown tool is; a prompt is offered only when every
tool it names is; the instructions name no tool the session lacks. Generic over the catalog: a new tool or prompt
is covered by these tests without being named in them."""

from __future__ import annotations

import dataclasses
import itertools
import re
from pathlib import Path
from typing import Final

import pytest

from frontdoor_mcp.config import Settings
from frontdoor_mcp.prompt_library import load_prompts, tools_named
from frontdoor_mcp.rules import TOOLSETS, Toolset
from frontdoor_mcp.server import build_server, instructions_for
from frontdoor_mcp.toolkit.catalog import catalog
from frontdoor_mcp.tools import ALL_TOOLS
from tests.support import connect, mock_settings, text_of

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
