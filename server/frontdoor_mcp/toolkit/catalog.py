"""What `tools/list` publishes of each tool, read from `catalog/<toolset>.json` instead of built at start-up.

A tool's name, description, schemas and annotations are fixed by its definition, so they are produced once by
the adapter, committed (a schema change then shows in review as the diff of its toolset's file) and kept equal
to what the code builds by a test (`UPDATE_SNAPSHOTS=1 uv run pytest tests/test_tool_contract.py` rewrites
them). A local server lists its tools from here and builds each one when it is first called: starting it
imports no tool and generates no schema (`benchmarks/catalog.py` measures what that saves).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from mcp_types import Tool as ListedTool

from frontdoor_mcp.toolkit.definition import TOOLSETS, Toolset

CATALOG_DIR: Final = Path(__file__).resolve().parent / "catalog"


@dataclass(frozen=True)
class CatalogEntry:
    toolset: Toolset
    tool: ListedTool
    """What `tools/list` shows of it."""

    @property
    def name(self) -> str:
        return self.tool.name

    @property
    def read_only(self) -> bool:
        return self.tool.annotations is not None and self.tool.annotations.read_only_hint is True


def catalog_path(toolset: Toolset) -> Path:
    return CATALOG_DIR / f"{toolset}.json"


def listed_form(tool: ListedTool) -> dict[str, Any]:
    """A tool as its catalog file holds it: what `tools/list` sends, without the fields left empty."""
    return tool.model_dump(mode="json", by_alias=True, exclude_none=True)


def catalog_text(tools: list[ListedTool]) -> str:
    """A toolset's catalog file: its tools in `tools/list` order, one reviewable block each."""
    return json.dumps([listed_form(tool) for tool in tools], indent=2, sort_keys=True) + "\n"


@cache
def catalog() -> tuple[CatalogEntry, ...]:
    """Every tool of the catalog, toolset by toolset, in `tools/list` order; read once per process (the files
    are part of the installed package)."""
    return tuple(
        CatalogEntry(toolset, ListedTool.model_validate(listed))
        for toolset in TOOLSETS
        for listed in json.loads(catalog_path(toolset).read_bytes())
    )
