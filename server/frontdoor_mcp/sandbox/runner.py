"""Running the sandbox: the entry points, in one stable place.

`start_sandbox` serves it in a daemon thread and returns a `RunningSandbox` to stop it (tests,
`frontdoor-mcp --sandbox`); `add_sandbox_arguments` + `run_sandbox_command` are the foreground command
(`frontdoor-mcp sandbox`), and `python -m frontdoor_mcp.sandbox.runner` runs the same command without the
CLI (the kill -9 durability test starts it that way). They are defined in `lifecycle` (start and stop) and
in `command` (the foreground command, built on `lifecycle`); this module only gathers them, so imports still
run one way.
"""

from __future__ import annotations

import sys

from frontdoor_mcp.sandbox.command import (
    add_sandbox_arguments,
    default_db_path,
    main,
    run_sandbox_command,
    serve_forever,
)
from frontdoor_mcp.sandbox.lifecycle import DEFAULT_USERNAME, PortInUse, RunningSandbox, start_sandbox

__all__ = [
    "DEFAULT_USERNAME",
    "PortInUse",
    "RunningSandbox",
    "add_sandbox_arguments",
    "default_db_path",
    "main",
    "run_sandbox_command",
    "serve_forever",
    "start_sandbox",
]

if __name__ == "__main__":
    sys.exit(main())
