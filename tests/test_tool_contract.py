"""The tool contract: every tool annotated and described, the catalog `tools/list` is served from equal to what
the code builds (one file per toolset, so a schema change shows in review), the README in step, and starting a
server imports none of the tools."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import pytest
from mcp.server.mcpserver import MCPServer
from mcp_types import Tool, ToolAnnotations

from frontdoor_mcp.server import FrontdoorServer
from frontdoor_mcp.toolkit.adapter import built_tool
from frontdoor_mcp.toolkit.catalog import CATALOG_DIR, catalog_path, catalog_text
from frontdoor_mcp.toolkit.definition import TOOLSETS
from frontdoor_mcp.tools import ALL_TOOLS
from tests.support import connect

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_TOOLS: Final = {
    # The names users' configurations and prompts rely on (the README's tool table): none may disappear.
    "list_client_certificates",
    "get_client_certificate",
    "upload_client_certificate",
    "create_client_certificate_from_csr",
    "update_client_certificate",
    "replace_client_certificate",
    "delete_client_certificate",
    "generate_csr",
    "inspect_certificate",
    "find_expiring_client_certificates",
    "create_certificate_request_token",
    "list_certificate_request_tokens",
    "get_certificate_request_token",
    "update_certificate_request_token",
    "revoke_certificate_request_token",
    "redeem_certificate_request_token",
    "list_shares",
    "get_share",
    "check_certificate_against_share",
}


async def test_the_catalog_is_what_the_code_builds() -> None:
    """(First in this file: with UPDATE_SNAPSHOTS=1 it rewrites the catalog before any server here reads it.)
    What a server lists is read from the catalog; here each tool is built from its definition, as the SDK
    would serve it, and compared with its toolset's file. Regenerate with UPDATE_SNAPSHOTS=1 and commit the diff
    (review it: it is what every client's model reads). Under CI a missing file fails (never written)."""
    built = MCPServer("catalog", tools=[built_tool(definition) for definition in ALL_TOOLS])
    listed = {tool.name: tool for tool in await built.list_tools()}
    assert [definition.toolset for definition in ALL_TOOLS] == sorted(
        (definition.toolset for definition in ALL_TOOLS), key=TOOLSETS.index
    ), "ALL_TOOLS is grouped by toolset, in TOOLSETS order: the order tools/list shows"
    updating = os.environ.get("UPDATE_SNAPSHOTS") == "1"
    regenerate = f"run UPDATE_SNAPSHOTS=1 uv run pytest tests/{Path(__file__).name} and review the diff"
    problems: list[str] = []
    for toolset in TOOLSETS:
        path = catalog_path(toolset)
        wanted = catalog_text([listed[d.name] for d in ALL_TOOLS if d.toolset == toolset])
        if updating or (not path.exists() and not os.environ.get("CI")):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(wanted)
            if not updating:
                problems.append(f"{toolset}: was not in the catalog; its file was written, review and commit it")
            continue
        if not path.exists():
            problems.append(f"{toolset}: not in the catalog ({regenerate})")
            continue
        committed = {tool["name"]: tool for tool in json.loads(path.read_text())}
        current = {tool["name"]: tool for tool in json.loads(wanted)}
        problems.extend(
            f"{name}: the code changed its schema ({regenerate})"
            for name in sorted(set(committed) | set(current))
            if committed.get(name) != current.get(name)
        )
        if not problems and path.read_text() != wanted:
            problems.append(f"{toolset}: the tools are in another order than the code's ({regenerate})")
    stale = sorted(path.name for path in CATALOG_DIR.glob("*.json") if path.stem not in TOOLSETS)
    problems.extend(f"{name}: in the catalog, but no toolset has that name" for name in stale)
    assert not problems, "\n".join(problems)


async def _tools(server: FrontdoorServer, era: str = "legacy") -> list[Tool]:
    async with connect(server, era) as client:
        return list((await client.list_tools()).tools)


async def test_every_tool_has_annotations_descriptions_and_output_schema(
    server: FrontdoorServer, every_era: str
) -> None:
    tools = await _tools(server, every_era)
    assert [tool.name for tool in tools] == [definition.name for definition in ALL_TOOLS]
    assert {tool.name for tool in tools} >= CONTRACT_TOOLS
    for tool in tools:
        assert tool.description and len(tool.description) > 80, f"{tool.name}: description for the model"
        assert tool.title, f"{tool.name}: title"
        hints = tool.annotations
        assert hints is not None, f"{tool.name}: annotations"
        for hint in ("read_only_hint", "destructive_hint", "idempotent_hint", "open_world_hint"):
            assert getattr(hints, hint) is not None, f"{tool.name}: {hint} must be set"
        assert tool.output_schema is not None, f"{tool.name}: structured output"
        properties: dict[str, Any] = tool.input_schema.get("properties", {})
        for argument, schema in properties.items():
            assert schema.get("description"), f"{tool.name}.{argument}: description"


async def test_annotations_are_honest(server: FrontdoorServer) -> None:
    hints = {tool.name: tool.annotations or ToolAnnotations() for tool in await _tools(server)}
    for name in (
        "list_client_certificates",
        "get_client_certificate",
        "inspect_certificate",
        "find_expiring_client_certificates",
    ):
        assert hints[name].read_only_hint is True
    for name in ("replace_client_certificate", "delete_client_certificate"):
        assert hints[name].destructive_hint is True and hints[name].idempotent_hint is True
    for name in ("upload_client_certificate", "create_client_certificate_from_csr"):
        assert hints[name].idempotent_hint is False
    for name in ("generate_csr", "inspect_certificate"):
        assert hints[name].open_world_hint is False


def _snapshot_of(tool: Tool) -> dict[str, Any]:
    return tool.model_dump(mode="json", by_alias=True, exclude_none=True)


async def test_readme_tool_table_matches_list_tools(server: FrontdoorServer) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Tools", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))
    assert documented == {tool.name for tool in await _tools(server)}


def tools_list_budget(tools: list[Tool]) -> tuple[float, float]:
    """Bytes per tool, on average, of what clients send the model (name, description, input schema) and of
    the whole `tools/list` entry, as minified JSON."""
    told = [
        json.dumps({"name": t.name, "description": t.description, "inputSchema": t.input_schema}, separators=(",", ":"))
        for t in tools
    ]
    whole = [json.dumps(_snapshot_of(tool), separators=(",", ":")) for tool in tools]
    return sum(map(len, told)) / len(tools), sum(map(len, whole)) / len(tools)


@pytest.mark.parametrize("read_only", [False, True])
async def test_tools_list_stays_within_its_budget(server: FrontdoorServer, read_only: bool, tmp_path: Path) -> None:
    from frontdoor_mcp.server import build_server
    from tests.support import mock_settings

    tools = await _tools(build_server(mock_settings(tmp_path, read_only=True)) if read_only else server)
    told, whole = tools_list_budget(tools)
    assert told <= 1_000, f"names, descriptions and input schemas: {told:.0f} bytes per tool"
    assert whole <= 2_500, f"the whole tools/list: {whole:.0f} bytes per tool"
    for tool in tools:
        description = tool.description or ""
        assert description == description.strip() and "\n    " not in description, "dedented"


LAZY_BOUNDARY: Final = "frontdoor_mcp.tools"
"""Imported by `server.tool_definitions` when a tool is first called, never to start a local server."""
HEAVY: Final = (LAZY_BOUNDARY, "frontdoor_mcp.pki", "frontdoor_mcp.sandbox", "cryptography.x509")
"""What stays off the start-up path: the tools, and through them the certificate code (`pki` over
`cryptography`); and the sandbox (its CA, database and web app)."""


def test_starting_a_server_and_listing_its_tools_imports_nothing_heavy_until_a_tool_is_called() -> None:
    """Start-up time is part of the product: `initialize` and `tools/list` are answered from the catalog,
    without crossing the one lazy boundary (the tools package), so nothing heavy is imported; the first call
    crosses it, once."""
    code = f"""
import sys, anyio
from mcp import Client
from frontdoor_mcp.server import build_server
from frontdoor_mcp.config import load_settings

server = build_server(load_settings(env={{"NETFOUNDRY_API_TOKEN": "t"}}))

def loaded():
    return sorted({{name for name in sys.modules if name.startswith({HEAVY!r})}})

async def main():
    async with Client(server) as client:
        assert len((await client.list_tools()).tools) > 10
        print(" ".join(loaded()) or "-")
        await client.call_tool("inspect_certificate", {{"pem": "not a pem"}})
        print(" ".join(loaded()))
anyio.run(main)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    before, after = result.stdout.splitlines()
    assert before == "-", f"imported to start and list: {before}"
    assert LAZY_BOUNDARY in after.split() and "cryptography.x509" in after.split(), after
