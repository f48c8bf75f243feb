"""What `tools/list` publishes of each tool, read from `catalog/<tool>.json` instead of built at start-up.

A tool's name, description, schemas and annotations are fixed by the code, so they are produced once, committed
(a schema change then shows in review as the diff of one file) and kept equal to what the code builds by a test
(`UPDATE_SNAPSHOTS=1 uv run pytest tests/test_tool_contract.py` rewrites them). A local server lists its tools
from here and builds each one when it is first called: starting it imports no tool and generates no schema.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from mcp_types import Tool as ListedTool

CATALOG_DIR: Final = Path(__file__).resolve().parent / "catalog"


def catalog_path(name: str) -> Path:
    return CATALOG_DIR / f"{name}.json"


@cache
def listed_tools(names: tuple[str, ...]) -> list[ListedTool]:
    """The published form of each named tool, in the order given; read once per process (the files are part
    of the installed package)."""
    return [ListedTool.model_validate_json(catalog_path(name).read_bytes()) for name in names]
