"""Build the desktop extension bundle (`.mcpb`) with the official tool, `@anthropic-ai/mcpb`.

    uv run python packaging/bundle.py                   # dist/frontdoor-mcp-<version>.mcpb
    uv run python packaging/bundle.py --out DIR         # somewhere else
    uv run python packaging/bundle.py --validate-only   # only `mcpb validate` on the manifest

It stages the bundle in a temporary folder (the manifest, generated from the code (`manifest.py`), at its root,
then the project as the `uv` server type runs it: pyproject.toml, uv.lock, README.md, LICENSE,
server/frontdoor_mcp and prompts; nothing else, so no tests, caches or virtual environments), then runs
`mcpb validate` and `mcpb pack` on it. Needs node and npx; npx fetches the pinned version of the tool.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Final

from frontdoor_mcp import __version__
from manifest import MCPB, ROOT, build_manifest, placeholders, render

PROJECT_FILES: Final = ("pyproject.toml", "uv.lock", "README.md", "LICENSE")
"""What `uv run --project` needs besides the package and the prompts (hatchling reads README.md and LICENSE)."""


def npx() -> str | None:
    return shutil.which("npx")


def mcpb(*args: str) -> None:
    """Run the official tool (`npx` must exist); its output goes to ours. CalledProcessError when it fails."""
    found = npx()
    if found is None:
        raise FileNotFoundError("npx (node's package runner) is not on PATH: install Node.js 18 or later")
    # The command is npx, a pinned package and our own paths: nothing from outside.
    subprocess.run([found, "--yes", MCPB, *args], check=True)


def stage(folder: Path) -> None:
    """Lay the bundle out in `folder`: the manifest at its root, and the project the `uv` server type runs."""
    (folder / "manifest.json").write_text(render(), encoding="utf-8")
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, folder / name)
    _copy_tree(ROOT / "server" / "frontdoor_mcp", folder / "server" / "frontdoor_mcp")
    (folder / "prompts").mkdir()
    for prompt in sorted((ROOT / "prompts").glob("*.md")):
        shutil.copy2(prompt, folder / "prompts" / prompt.name)


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".*"))


def build(out: Path) -> Path:
    """Validate and pack the bundle into `out`; the path of the `.mcpb`."""
    out.mkdir(parents=True, exist_ok=True)
    bundle = out.resolve() / f"frontdoor-mcp-{__version__}.mcpb"
    with tempfile.TemporaryDirectory(prefix="frontdoor-mcpb-") as temporary:
        staged = Path(temporary) / "frontdoor-mcp"
        staged.mkdir()
        stage(staged)
        mcpb("validate", str(staged / "manifest.json"))
        mcpb("pack", str(staged), str(bundle))
    return bundle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate and pack the MCP bundle (.mcpb).")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the .mcpb goes (default: dist/)")
    parser.add_argument(
        "--validate-only", action="store_true", help="only run `mcpb validate` on the committed manifest"
    )
    args = parser.parse_args(argv)
    if npx() is None:
        print("bundle: npx (node's package runner) is not on PATH: install Node.js 18 or later", file=sys.stderr)
        return 1
    try:
        if args.validate_only:
            with tempfile.TemporaryDirectory(prefix="frontdoor-mcpb-") as temporary:
                manifest = Path(temporary) / "manifest.json"
                manifest.write_text(render(), encoding="utf-8")
                mcpb("validate", str(manifest))
            return 0
        bundle = build(args.out)
    except subprocess.CalledProcessError as exc:
        print(f"bundle: {MCPB} failed (exit {exc.returncode})", file=sys.stderr)
        return 1
    print(f"\nbundle: {bundle} ({bundle.stat().st_size:,} bytes)")
    unfinished = placeholders(build_manifest())
    if unfinished:
        print(
            f"bundle: note: {', '.join(unfinished)} still hold the OWNER placeholder of pyproject.toml's "
            "[project.urls]; replace it there before publishing.",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
