"""The sandbox in the foreground: `frontdoor-mcp sandbox` and `python -m frontdoor_mcp.sandbox.runner`.

Starts a sandbox on a database that outlives it, prints how to reach it, and serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from frontdoor_mcp.sandbox.lifecycle import RunningSandbox, start_sandbox


def default_db_path() -> Path:
    """`<user data dir>/frontdoor-mcp/sandbox.db`, its folder created owner-only."""
    import platformdirs  # only the standalone command needs it

    folder = Path(platformdirs.user_data_dir("frontdoor-mcp"))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder / "sandbox.db"


def serve_forever(
    host: str,
    port: int,
    db_path: str | Path | None,
    frontdoor_id: str | None,
    token: str | None,
    client_id: str | None,
    client_secret: str | None,
    token_ttl: int,
    *,
    admin_token: str | None = None,
) -> int:
    """Run the sandbox in the foreground until SIGINT/SIGTERM (call from the main thread). Returns 0.

    Prints the base URL, frontdoor id and token: the sandbox's own throwaway credentials, shown so a
    person can curl it. This is the one place the project prints a token.
    """
    path = Path(db_path) if db_path is not None else default_db_path()
    try:
        sandbox = start_sandbox(
            host=host,
            port=port,
            db_path=path,
            frontdoor_id=frontdoor_id,
            token=token,
            client_id=client_id,
            client_secret=client_secret,
            token_ttl=token_ttl,
            log_level="info",
            admin_token=admin_token,
            standalone=True,
        )
    except (OSError, ValueError) as exc:
        print(f"frontdoor-mcp sandbox: cannot start: {exc}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as exc:
        # A file that is not SQLite, or another program's database: one line, not a traceback.
        print(f"frontdoor-mcp sandbox: cannot start: {path} is not a sandbox database ({exc})", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous: dict[signal.Signals, Any] = {
        sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        print(_banner(sandbox, path), flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sandbox.stop()
    return 0


def _banner(sandbox: RunningSandbox, path: Path) -> str:
    list_url = f"{sandbox.base_url}/{sandbox.frontdoor_id}/client-certificates"
    return "\n".join(
        [
            "Frontdoor sandbox is running.",
            f"  API base URL:  {sandbox.base_url}",
            f"  Frontdoor id:  {sandbox.frontdoor_id}",
            f"  Token:         {sandbox.token}",
            f"  OAuth2 client: {sandbox.client_id} / {sandbox.client_secret} at {sandbox.token_url}",
            f"  Admin token:   {sandbox.admin_token} (X-Sandbox-Admin header, for /_sandbox/faults)",
            f"  OpenAPI:       {sandbox.root_url}/openapi.json",
            f"  Database:      {path}",
            "Try:",
            f'  curl -s -H "Authorization: Bearer {sandbox.token}" -H "Accept: application/json" "{list_url}"',
            "Press Ctrl+C to stop.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m frontdoor_mcp.sandbox.runner",
        description="Run the Frontdoor sandbox in the foreground: `frontdoor-mcp sandbox` without the CLI.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--db", default=None, help="SQLite file (default: in the user data dir)")
    parser.add_argument("--frontdoor-id", default=None)
    parser.add_argument("--token", default=None)
    parser.add_argument("--client-id", default=None)
    parser.add_argument("--client-secret", default=None)
    parser.add_argument("--token-ttl", type=int, default=3600)
    parser.add_argument("--admin-token", default=os.environ.get("FRONTDOOR_SANDBOX_ADMIN_TOKEN"))
    args = parser.parse_args(argv)
    return serve_forever(
        args.host,
        args.port,
        args.db,
        args.frontdoor_id,
        args.token,
        args.client_id,
        args.client_secret,
        args.token_ttl,
        admin_token=args.admin_token,
    )
