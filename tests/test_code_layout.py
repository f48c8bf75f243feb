"""The shape of the code, as ARCHITECTURE.md draws it: imports run one way, down the layers, from the top of each
module (the few lazy ones listed here, each with its reason); no import cycle; no folder too full to take in;
no two modules whose names mean the same thing; every document the code cites exists."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent
PACKAGE: Final = ROOT / "server" / "frontdoor_mcp"

LAYERS: Final[tuple[dict[str, tuple[str, ...]], ...]] = (
    # From the top down. A module may import its own group and any group of a lower layer; groups of one
    # layer do not import each other. A prefix names a module and everything under it.
    {"cli": ("frontdoor_mcp.cli", "frontdoor_mcp.__main__")},
    {
        "hosting": ("frontdoor_mcp.hosting",),
        "demo": ("frontdoor_mcp.demo",),
        "doctor": ("frontdoor_mcp.doctor",),
        "sandboxed": ("frontdoor_mcp.sandboxed",),
    },
    {"server": ("frontdoor_mcp.server", "frontdoor_mcp.prompt_library")},
    {"tools": ("frontdoor_mcp.tools",)},
    {"toolkit": ("frontdoor_mcp.toolkit",)},
    {"config": ("frontdoor_mcp.config", "frontdoor_mcp.log_setup")},
    {
        "api": ("frontdoor_mcp.api",),
        "pki": ("frontdoor_mcp.pki",),
        "tls_probe": ("frontdoor_mcp.tls_probe",),
        "sandbox": ("frontdoor_mcp.sandbox",),
    },
    {"bottom": ("frontdoor_mcp.text", "frontdoor_mcp.rules", "frontdoor_mcp.redaction", "frontdoor_mcp")},
)

LAZY_IMPORTS: Final[dict[tuple[str, str], str]] = {
    # (importing module, imported module): why it is imported inside a function, not at the top.
    ("frontdoor_mcp.server", "frontdoor_mcp.tools"): (
        "THE lazy boundary of the start-up path: a local server lists its tools from the catalog, and the tools "
        "(with pki and cryptography) load when one is first called"
    ),
    ("frontdoor_mcp.api.client", "frontdoor_mcp.api.certificates"): (
        "each API sub-client loads on first use: the three with their wire models cost ~10 ms of every start"
    ),
    ("frontdoor_mcp.api.client", "frontdoor_mcp.api.request_tokens"): "as for certificates",
    ("frontdoor_mcp.api.client", "frontdoor_mcp.api.shares"): "as for certificates",
    ("frontdoor_mcp.cli", "frontdoor_mcp.server"): "each command loads what it runs: the MCP server, to serve",
    ("frontdoor_mcp.cli", "frontdoor_mcp.sandboxed"): "the sandbox (web app, CA, database) only with --sandbox",
    ("frontdoor_mcp.cli", "frontdoor_mcp.sandbox.runner"): "the sandbox only for `frontdoor-mcp sandbox`",
    ("frontdoor_mcp.cli", "frontdoor_mcp.demo"): "the demo's MCP client only for `frontdoor-mcp demo`",
    ("frontdoor_mcp.cli", "frontdoor_mcp.doctor"): "the doctor only for `frontdoor-mcp doctor`",
    ("frontdoor_mcp.cli", "frontdoor_mcp.hosting.command"): (
        "the HTTP server (uvicorn set-up, auth, JWT verification) only for `http` and `http-token`"
    ),
    ("frontdoor_mcp.hosting", "frontdoor_mcp.hosting.factory"): (
        "`uvicorn --factory frontdoor_mcp.hosting:create_app` builds the app; importing the package for the CLI's "
        "flags builds nothing"
    ),
}
MAX_LAZY_IMPORTS: Final = 15
MAX_MODULES_IN_A_FOLDER: Final = 15
ONE_MODULE_EACH: Final = ("gate", "guard", "audit", "app", "auth", "parse")
"""Words that name at most one module: two modules called so would mean two things by one word."""


@cache
def _modules() -> dict[str, ast.Module]:
    found: dict[str, ast.Module] = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(relative.parts).removesuffix(".__init__")
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def _group(module: str) -> tuple[int, str]:
    """The layer (0 at the top) and the group of a module: the group with the longest matching prefix."""
    best: tuple[int, int, str] | None = None
    for depth, layer in enumerate(LAYERS):
        for group, prefixes in layer.items():
            for prefix in prefixes:
                if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), depth, group)
    assert best is not None, f"{module} is in no layer: add it to LAYERS (and to ARCHITECTURE.md)"
    return best[1], best[2]


def _imported(node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """Our modules an import statement imports: `from package import module` names the module."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names if alias.name.startswith("frontdoor_mcp"))
        return
    if not node.module or not node.module.startswith("frontdoor_mcp"):
        return
    for alias in node.names:
        submodule = f"{node.module}.{alias.name}"
        yield submodule if submodule in _modules() else node.module


def _imports(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Our modules imported at the top of a module, and inside its functions."""
    top: set[str] = set()
    inner: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for statement in ast.walk(node):
                if isinstance(statement, ast.Import | ast.ImportFrom):
                    inner.update(_imported(statement))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            top.update(_imported(node))
    return top - inner, inner


def _inner_import_statements() -> list[tuple[str, str]]:
    """Every import inside a function, of anything (ours or a library's), as (module, imported)."""
    found: list[tuple[str, str]] = []
    for module, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for statement in ast.walk(node):
                    if isinstance(statement, ast.ImportFrom):
                        found.append((module, statement.module or ""))
                    elif isinstance(statement, ast.Import):
                        found.extend((module, alias.name) for alias in statement.names)
    return found


def test_imports_run_down_the_layers() -> None:
    wrong: list[str] = []
    for module, tree in _modules().items():
        depth, group = _group(module)
        top, inner = _imports(tree)
        for imported in top | inner:
            target_depth, target_group = _group(imported)
            if target_group != group and target_depth <= depth:
                wrong.append(f"{module} ({group}) imports {imported} ({target_group}), not below it")
    assert not wrong, "\n".join(sorted(wrong))


def test_the_bottom_imports_nothing_of_ours() -> None:
    for module in ("frontdoor_mcp.text", "frontdoor_mcp.rules", "frontdoor_mcp.redaction"):
        top, inner = _imports(_modules()[module])
        assert (top | inner) <= {"frontdoor_mcp"}, module


def test_no_import_cycles() -> None:
    graph: dict[str, list[str]] = {}
    for module, tree in _modules().items():
        top, inner = _imports(tree)
        graph[module] = sorted(top | inner)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for imported in graph.get(module, []):
            if state.get(imported) == 1:
                cycles.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                visit(imported)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_imports_inside_functions_are_the_listed_few() -> None:
    statements = _inner_import_statements()
    assert len(statements) <= MAX_LAZY_IMPORTS, f"{len(statements)} imports inside functions"
    unlisted = sorted({found for found in statements if found not in LAZY_IMPORTS})
    assert not unlisted, f"imports inside functions without a listed reason: {unlisted}"
    unused = sorted(set(LAZY_IMPORTS) - set(statements))
    assert not unused, f"listed lazy imports that no longer exist: {unused}"


def test_no_folder_is_too_full_to_take_in() -> None:
    for folder in [PACKAGE, *(path for path in PACKAGE.rglob("*") if path.is_dir() and path.name != "__pycache__")]:
        modules = [path for path in folder.glob("*.py") if path.name != "__init__.py"]
        assert len(modules) <= MAX_MODULES_IN_A_FOLDER, f"{folder.relative_to(ROOT)} holds {len(modules)} modules"


def test_no_two_modules_name_the_same_thing() -> None:
    names = [path.stem for path in PACKAGE.rglob("*.py") if path.name != "__init__.py"]
    for word in ONE_MODULE_EACH:
        named = [name for name in names if word in name.split("_")]
        assert len(named) <= 1, f"{word!r} names {named}"


def test_no_class_name_is_used_for_two_different_things() -> None:
    homes: dict[str, list[str]] = defaultdict(list)
    for module, tree in _modules().items():
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                homes[node.name].append(module)
    reused = {name: places for name, places in homes.items() if len(places) > 1}
    assert not reused, reused


_CITED: Final = re.compile(r"(?<![\w/.:-])((?:[\w-]+/)*[\w-]+\.md)\b")


def test_every_cited_document_exists() -> None:
    """The code, the tests, the help text and the documents name only documents the repository has."""
    sources = [
        *PACKAGE.rglob("*.py"),
        *(ROOT / "tests").rglob("*.py"),
        *(ROOT / "benchmarks").glob("*.py"),
        *(ROOT / "packaging").glob("*.py"),
        *ROOT.glob("*.md"),
        *(ROOT / "docs").glob("*.md"),
    ]
    missing: set[str] = set()
    for source in sources:
        for cited in _CITED.findall(source.read_text(encoding="utf-8")):
            if not ((ROOT / cited).exists() or (source.parent / cited).exists() or (ROOT / "prompts" / cited).exists()):
                missing.add(f"{source.relative_to(ROOT)} cites {cited}")
    assert not missing, "\n".join(sorted(missing))


def test_the_architecture_page_names_every_package() -> None:
    page = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    packages = sorted(
        path.parent.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("__init__.py") if path.parent != PACKAGE
    )
    unnamed = [package for package in packages if f"`{package}/`" not in page]
    assert not unnamed, f"ARCHITECTURE.md does not name: {unnamed}"
    for layer in LAYERS:
        for group in layer:
            assert f"`{group}`" in page, f"ARCHITECTURE.md does not draw the layer group {group!r}"
