"""The sdist holds only what git tracks (hatchling's custom build hook, for the sdist target).

hatchling packs every file it finds in the checkout, less what .gitignore lists, so an untracked file left there
(a tokens file from the HTTP server's "Try it", a credentials.json, notes) would be published with the source.
Built from a git checkout, a file hatchling would pack that git does not track stops the build, named, before
anything is written. Built without a checkout (a wheel from the unpacked sdist), there is nothing to compare with.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class TrackedFilesOnly(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "sdist" or not (Path(self.root) / ".git").exists():
            return
        try:
            listed = subprocess.run(
                ["git", "ls-files", "-z"],  # noqa: S607 - git as the person building has it
                cwd=self.root,
                capture_output=True,
                check=True,
                timeout=60,
            ).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            raise RuntimeError(f"the sdist is built from what git tracks, and git could not list it: {exc}") from None
        tracked = {name for name in listed.decode("utf-8", "surrogateescape").split("\0") if name}
        packed = {
            found.relative_path.replace(os.sep, "/")
            for found in self.build_config.builder.recurse_included_files()
            if found.relative_path
        }
        untracked = sorted(packed - tracked)
        if untracked:
            shown = ", ".join(untracked[:10]) + (f" and {len(untracked) - 10} more" if len(untracked) > 10 else "")
            raise RuntimeError(
                f"the sdist would hold files git does not track: {shown}. Commit them (git add), delete them, or "
                "list them in .gitignore, then build again."
            )
