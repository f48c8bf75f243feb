"""`--sandbox`: the settings pointed at an embedded sandbox, for `frontdoor-mcp --sandbox` and
`frontdoor-mcp http --sandbox`. Imported only when `--sandbox` is given: the sandbox's web stack, CA and
database stay off every other start-up path."""

from __future__ import annotations

import dataclasses
import sqlite3
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from frontdoor_mcp.api.auth import BearerToken, Secret
from frontdoor_mcp.config import Settings
from frontdoor_mcp.sandbox.runner import start_sandbox


def sandboxed(settings: Settings, db: str | None, cleanup: ExitStack, *, keys: bool = True) -> Settings | None:
    """The settings pointed at an embedded sandbox (its own frontdoor and token) that `cleanup` stops, and
    whose temporary database (which holds its CA key) it removes, when serving ends. None, said on stderr,
    when `db` names a file that is not a sandbox database.

    `keys`: the server makes keys on this machine (stdio). A sandbox's certificates are throwaway, so are their
    keys: unless FRONTDOOR_MCP_KEY_DIR names a folder, they go to a temporary one (0700) that `cleanup` removes,
    never into the user's real key folder. What was started, and where the keys go, is said on stderr."""
    if db is None:
        folder = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="frontdoor-sandbox-"))
        db = str(Path(folder) / "sandbox.db")
    try:
        sandbox = start_sandbox(db_path=db, ingress_ports="fixed")
    except sqlite3.DatabaseError as exc:
        print(f"frontdoor-mcp: {db} is not a sandbox database ({exc})", file=sys.stderr)
        return None
    cleanup.callback(sandbox.stop)
    key_dir = settings.key_dir
    said = f"frontdoor-mcp: --sandbox: the API is an embedded sandbox at {sandbox.base_url}"
    said += f", frontdoor {sandbox.frontdoor_id}"
    if keys and key_dir is None:
        key_dir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="frontdoor-sandbox-keys-")))
        said += (
            f"; keys made here go to {key_dir}, removed when the server stops (set FRONTDOOR_MCP_KEY_DIR to keep them)"
        )
    elif keys:
        said += f"; keys made here go to {key_dir} (FRONTDOOR_MCP_KEY_DIR), and are kept"
    print(said, file=sys.stderr, flush=True)
    return dataclasses.replace(
        settings,
        api_url=sandbox.base_url,
        frontdoor_id=sandbox.frontdoor_id,
        credential=BearerToken(Secret(sandbox.token), source="--sandbox"),
        sandbox_ca_pem=sandbox.ca_certificate_pem,
        key_dir=key_dir,
    )
