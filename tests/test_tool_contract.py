"""The tool contract: every tool annotated and described, `tools/list` snapshotted, the README in step."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from mcp_types import Tool, ToolAnnotations

from frontdoor_mcp.app import FrontdoorServer
from tests.conftest import connect

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "tests" / "snapshots" / "tools_list.json"
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
}


async def _tools(server: FrontdoorServer, era: str = "legacy") -> list[Tool]:
    async with connect(server, era) as client:
        return list((await client.list_tools()).tools)


async def test_every_tool_has_annotations_descriptions_and_output_schema(server: FrontdoorServer, era: str) -> None:
    tools = await _tools(server, era)
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


def _snapshot_of(tools: list[Tool]) -> list[dict[str, Any]]:
    dumped = [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]
    return sorted(dumped, key=lambda tool: tool["name"])


async def test_tools_list_matches_the_snapshot(server: FrontdoorServer) -> None:
    """A schema change must be seen in review: regenerate with UPDATE_SNAPSHOTS=1 and commit the diff."""
    current = _snapshot_of(await _tools(server))
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    assert json.loads(SNAPSHOT.read_text()) == current, "tools/list changed: run UPDATE_SNAPSHOTS=1 uv run pytest"


async def test_readme_tool_table_matches_list_tools(server: FrontdoorServer) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Tools", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))
    assert documented == {tool.name for tool in await _tools(server)}
