"""The tool contract: every tool annotated and described, the catalog `tools/list` is served from equal to what
the code builds (one file per tool, so a schema change shows in review), the README in step."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp.server.mcpserver import MCPServer
from mcp_types import Tool, ToolAnnotations

from frontdoor_mcp.app import FrontdoorServer
from frontdoor_mcp.tools.catalog import CATALOG_DIR
from frontdoor_mcp.tools.registry import TOOLS, built_tool
from tests.support import connect

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
CATALOG = CATALOG_DIR
EXPECTED_TOOLS = {
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


async def _tools(server: FrontdoorServer, era: str = "legacy") -> list[Tool]:
    async with connect(server, era) as client:
        return list((await client.list_tools()).tools)


async def test_every_tool_has_annotations_descriptions_and_output_schema(
    server: FrontdoorServer, every_era: str
) -> None:
    tools = await _tools(server, every_era)
    assert {tool.name for tool in tools} == EXPECTED_TOOLS
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


async def test_the_catalog_is_what_the_code_builds() -> None:
    """What a server lists is read from the catalog; here each tool is built from its code, as the SDK would
    serve it, and compared with its file. Regenerate with UPDATE_SNAPSHOTS=1 and commit the diff (review it:
    it is what every client's model reads). Under CI a missing file fails (never written)."""
    built = MCPServer("catalog", tools=[built_tool(spec) for spec in TOOLS])
    tools = {tool.name: _snapshot_of(tool) for tool in await built.list_tools()}
    updating = os.environ.get("UPDATE_SNAPSHOTS") == "1"
    if updating:
        for stale in set(CATALOG.glob("*.json")) - {CATALOG / f"{name}.json" for name in tools}:
            stale.unlink()
    problems: list[str] = []
    for name, current in sorted(tools.items()):
        path = CATALOG / f"{name}.json"
        if updating or (not path.exists() and not os.environ.get("CI")):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
            if not updating:
                problems.append(f"{name}: was not in the catalog; its file was written, review and commit it")
            continue
        if not path.exists():
            problems.append(f"{name}: not in the catalog (run UPDATE_SNAPSHOTS=1 uv run pytest {Path(__file__).name})")
        elif json.loads(path.read_text()) != current:
            problems.append(
                f"{name}: the code changed its schema (run UPDATE_SNAPSHOTS=1 uv run pytest and review the diff)"
            )
    stale = sorted(path.stem for path in CATALOG.glob("*.json") if path.stem not in tools)
    problems.extend(f"{name}: in the catalog, but the server no longer has it" for name in stale)
    assert not problems, "\n".join(problems)


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
    from frontdoor_mcp.app import build_server
    from tests.support import mock_settings

    tools = await _tools(build_server(mock_settings(tmp_path, read_only=True)) if read_only else server)
    told, whole = tools_list_budget(tools)
    assert told <= 1_000, f"names, descriptions and input schemas: {told:.0f} bytes per tool"
    assert whole <= 2_500, f"the whole tools/list: {whole:.0f} bytes per tool"
    for tool in tools:
        description = tool.description or ""
        assert description == description.strip() and "\n    " not in description, "dedented"


def test_starting_a_server_and_listing_its_tools_builds_and_imports_none_of_them() -> None:
    """Start-up time is part of the product: `initialize` and `tools/list` are answered from the catalog, and
    a tool's module, its argument model and the certificate code load when a tool is first called."""
    code = """
import sys, anyio
from mcp import Client
from frontdoor_mcp.app import build_server
from frontdoor_mcp.config import load_settings

server = build_server(load_settings(env={"NETFOUNDRY_API_TOKEN": "t"}))

async def main():
    async with Client(server) as client:
        assert len((await client.list_tools()).tools) > 10
anyio.run(main)
heavy = ("frontdoor_mcp.tools.", "frontdoor_mcp.pki", "cryptography.x509")
print(" ".join(sorted(m for m in sys.modules if m.startswith(heavy))))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    allowed = {"frontdoor_mcp.tools.annotations", "frontdoor_mcp.tools.catalog", "frontdoor_mcp.tools.registry"}
    allowed |= {"frontdoor_mcp.tools.resources", "frontdoor_mcp.tools.state"}
    assert set(result.stdout.split()) <= allowed, result.stdout
