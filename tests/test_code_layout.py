"""The shape of the code: imports run one way, down the layers of DESIGN.md; no class name means two things;
the start-up path stays free of the heavy imports."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path
from typing import Final

PACKAGE: Final = Path(__file__).resolve().parent.parent / "server" / "frontdoor_mcp"

BOTTOM: Final = frozenset({"frontdoor_mcp", "frontdoor_mcp.text", "frontdoor_mcp.rules", "frontdoor_mcp.redaction"})
ALLOWED: Final[dict[str, frozenset[str]]] = {
    # layer -> the layers (package prefixes) its modules may import, besides the bottom ones and itself.
    "api": frozenset(),
    "pki": frozenset(),
    "sandbox": frozenset({"pki"}),
    "tools": frozenset({"api", "pki"}),
}


TOP_PACKAGES: Final = frozenset({"hosting"})
"""Subpackages at the top of the layers, beside `app` and `cli` (the HTTP server is built from the app)."""


def _layer(module: str) -> str:
    """`api`, `pki`, `sandbox`, `tools` (a subpackage, the package itself included), else `top`."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in TOP_PACKAGES:
        return "top"
    return parts[1] if len(parts) > 1 and (PACKAGE / parts[1]).is_dir() else "top"


def _modules() -> dict[str, ast.Module]:
    found: dict[str, ast.Module] = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(relative.parts).removesuffix(".__init__")
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def _imports(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name == "frontdoor_mcp" or name.startswith("frontdoor_mcp.")}


def test_imports_run_down_the_layers() -> None:
    wrong: list[str] = []
    for module, tree in _modules().items():
        layer = _layer(module)
        for imported in _imports(tree):
            target = _layer(imported)
            if imported in BOTTOM or target == layer:
                continue
            if layer == "top":
                continue  # cli, app, gate, config, demo, doctor may use any layer below them
            if target == "top" or target not in ALLOWED.get(layer, frozenset()):
                wrong.append(f"{module} imports {imported}")
    for bottom in BOTTOM - {"frontdoor_mcp"}:
        tree = _modules()[bottom]
        wrong.extend(f"{bottom} imports {name}" for name in _imports(tree) if name != "frontdoor_mcp")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_class_name_is_used_for_two_different_things() -> None:
    homes: dict[str, list[str]] = defaultdict(list)
    for module, tree in _modules().items():
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                homes[node.name].append(module)
    reused = {name: places for name, places in homes.items() if len(places) > 1}
    assert not reused, reused
