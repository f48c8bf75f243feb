"""Every compared environment in the same bytecode state, and a check that it stayed so.

Where PYTHONDONTWRITEBYTECODE is set, a server whose packages have no `.pyc` recompiles them at every
start, while one whose venv was compiled earlier does not: a cold-start comparison between them measures
the compiler. So before measuring, every site-packages of every compared environment and the project's
`server/` are compiled (`python -m compileall`, timestamp-checked `.pyc`, the variable unset for that step),
and the share of sources with an up-to-date `.pyc` is counted before and after the run. The standard
library is shared by every environment (one base interpreter); it is counted, not compiled.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

_COMPILE_TIMEOUT_S: Final = 600
_ERROR_LINE: Final = re.compile(r"^\*\*\* Error compiling '(.+)'", re.MULTILINE)
_FLAG_HASH_BASED: Final = 0b01


@dataclass(frozen=True)
class Tree:
    """A directory of sources one of the compared servers imports from, and the interpreter it runs on."""

    name: str
    path: Path
    python: Path


@dataclass(frozen=True)
class Compiled:
    tree: Tree
    seconds: float
    failed: tuple[str, ...]
    """Sources compileall could not compile (syntax errors: files no import can load either)."""


@dataclass(frozen=True)
class State:
    """How many of a tree's `.py` files have an up-to-date `.pyc` for this interpreter (tag, optimisation)."""

    sources: int
    fresh: int

    @property
    def missing(self) -> int:
        return self.sources - self.fresh

    def describe(self) -> str:
        return f"{self.fresh:,} of {self.sources:,}"


def compile_tree(tree: Tree) -> Compiled:
    """`python -m compileall -q` over the tree with its own interpreter, PYTHONDONTWRITEBYTECODE unset."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "SOURCE_DATE_EPOCH")}
    argv = [str(tree.python), "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "timestamp", str(tree.path)]
    started = time.perf_counter()
    completed = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=_COMPILE_TIMEOUT_S, check=False)
    elapsed = time.perf_counter() - started
    failed = tuple(sorted(set(_ERROR_LINE.findall(completed.stdout + completed.stderr))))
    if completed.returncode != 0 and not failed:
        raise RuntimeError(f"compileall failed on {tree.path}: {(completed.stdout + completed.stderr)[-2000:]}")
    return Compiled(tree, elapsed, failed)


def state(path: Path) -> State:
    """Count the `.py` files under `path` and those whose `.pyc` (for this interpreter) is up to date, the way
    the import system decides it: magic number, then source mtime and size (or the source hash)."""
    sources = fresh = 0
    for source in path.rglob("*.py"):
        if "__pycache__" in source.parts or not source.is_file():
            continue
        sources += 1
        if _is_fresh(source):
            fresh += 1
    return State(sources, fresh)


def _is_fresh(source: Path) -> bool:
    try:
        cached = Path(importlib.util.cache_from_source(str(source)))
        with cached.open("rb") as handle:
            header = handle.read(16)
        stat = source.stat()
    except (OSError, ValueError, NotImplementedError):
        return False
    if len(header) < 16 or header[:4] != importlib.util.MAGIC_NUMBER:
        return False
    flags = int.from_bytes(header[4:8], "little")
    if flags & _FLAG_HASH_BASED:
        return header[8:16] == importlib.util.source_hash(source.read_bytes())
    mtime = int.from_bytes(header[8:12], "little")
    size = int.from_bytes(header[12:16], "little")
    return mtime == int(stat.st_mtime) & 0xFFFFFFFF and size == stat.st_size & 0xFFFFFFFF
