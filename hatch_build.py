"""The sdist holds only what git tracks (hatchling's custom build hook, for the sdist target).

hatchling packs every file it finds in the checkout, less what .gitignore lists, so an untracked file left there
(a tokens file from the HTTP server's "Try it", a credentials.json, notes) would be published with the source.
Built from a git checkout, a file hatchling would pack that git does not track stops the build, named, before
anything is written. Built without a checkout (a wheel from the unpacked sdist), there is nothing to compare with.

A build that stops says why in one paragraph on stderr and exits 1: a traceback from inside the build backend
would bury the one thing the person building needs to read (which files, and what to do about each).
"""

from __future__ import annotations

import operator
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final, Protocol

from hatchling.builders.config import BuilderConfig
from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.builders.plugin.interface import IncludedFile

MAX_NAMED: Final = 10
"""Past this many untracked files, the rest are counted, not named."""


class IncludedFiles(Protocol):
    """What the hook needs of hatchling's builder: the files it will pack."""

    def recurse_included_files(self) -> Iterable[IncludedFile]: ...


builder_of: Final = operator.attrgetter("builder")
"""`BuilderConfig.builder`, typed by `IncludedFiles` where it is read: hatchling annotates the property with its
generic `BuilderInterface` bare, whose type arguments a strict checker cannot know."""


class BuildStopped(Exception):
    """Why the sdist is not built: one paragraph for the person building it."""


def tracked_files(root: Path) -> set[str]:
    """What git tracks in the checkout at `root`, as paths relative to it with `/` separators."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"],  # noqa: S607 - git as the person building has it
            cwd=root,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except subprocess.CalledProcessError as exc:
        said = (exc.stderr or b"").decode("utf-8", "replace").strip() or f"exit status {exc.returncode}"
        raise BuildStopped(
            f"The sdist is built from what git tracks, and `git ls-files` failed in {root}: {said}. Fix that (or "
            "build from a clean clone), then build again."
        ) from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise BuildStopped(
            f"The sdist is built from what git tracks, and git could not be run in {root} ({exc}). Install git, or "
            "build from an unpacked sdist (which has no .git), then build again."
        ) from None
    return {name for name in listed.decode("utf-8", "surrogateescape").split("\0") if name}


def untracked_refusal(untracked: list[str]) -> str:
    """The paragraph that stops a build that would pack `untracked` (sorted, non-empty)."""
    shown = ", ".join(untracked[:MAX_NAMED])
    if len(untracked) > MAX_NAMED:
        shown += f" and {len(untracked) - MAX_NAMED} more"
    return (
        f"The sdist would hold files git does not track: {shown}. It is built from what git tracks, so that "
        "nothing left in the checkout (a tokens or credentials file, notes) is published with the source. For each "
        "file: commit it (git add) if it belongs to the source, list it in .gitignore if it stays on this machine, "
        "or remove it; then build again. Nothing was written."
    )


def check_tracked(root: Path, packed: Iterable[str]) -> None:
    """`BuildStopped` when a file of `packed` (relative to `root`) is not tracked by git."""
    untracked = sorted(set(packed) - tracked_files(root))
    if untracked:
        raise BuildStopped(untracked_refusal(untracked))


class TrackedFilesOnly(BuildHookInterface[BuilderConfig]):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "sdist" or not (Path(self.root) / ".git").exists():
            return
        builder: IncludedFiles = builder_of(self.build_config)
        packed = [
            found.relative_path.replace(os.sep, "/")
            for found in builder.recurse_included_files()
            if found.relative_path
        ]
        try:
            check_tracked(Path(self.root), packed)
        except BuildStopped as stopped:
            print(f"frontdoor-mcp: {stopped}", file=sys.stderr, flush=True)
            raise SystemExit(1) from None
