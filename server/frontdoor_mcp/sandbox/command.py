"""The sandbox in the foreground: `frontdoor-mcp sandbox` and `python -m frontdoor_mcp.sandbox.runner`.

Both take the options `add_sandbox_arguments` defines (one definition for the two entry points) and run
`run_sandbox_command`: start a sandbox on a database that outlives it, print how to reach it and a client
configuration to paste, and serve until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import signal
import sqlite3
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any, Final

import platformdirs

from frontdoor_mcp import __version__
from frontdoor_mcp.sandbox.lifecycle import PortInUse, RunningSandbox, start_sandbox
from frontdoor_mcp.sandbox.options import add_sandbox_arguments
from frontdoor_mcp.sandbox.paging import DEFAULT_MAX_PAGE_SIZE, DEFAULT_SHAPE, PagingShape
from frontdoor_mcp.sandbox.shares.ingress import IngressPorts
from frontdoor_mcp.sandbox.storage.store import MCP_SERVER_SCOPES

_PROG = "frontdoor-mcp sandbox"


def default_db_path() -> Path:
    """`<user data dir>/frontdoor-mcp/sandbox.db`, its folder created owner-only."""
    folder = Path(platformdirs.user_data_dir("frontdoor-mcp"))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder / "sandbox.db"


def run_sandbox_command(args: argparse.Namespace) -> int:
    """Run the sandbox as `add_sandbox_arguments` parsed it. Returns the exit status."""
    return serve_forever(
        host=args.sandbox_host,
        port=args.sandbox_port,
        db_path=args.sandbox_db,
        frontdoor_id=args.sandbox_frontdoor_id,
        token=args.sandbox_token,
        client_id=args.sandbox_client_id,
        client_secret=args.sandbox_client_secret,
        token_ttl=args.sandbox_token_ttl,
        admin_token=args.sandbox_admin_token,
        share_provisioning_s=args.sandbox_share_provisioning_s,
        ingress_ports=args.sandbox_ingress_ports,
        paging=args.sandbox_paging,
        max_page_size=args.sandbox_max_page_size,
    )


def serve_forever(
    host: str = "127.0.0.1",
    port: int | None = None,
    db_path: str | Path | None = None,
    frontdoor_id: str | None = None,
    token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    token_ttl: int = 3600,
    *,
    admin_token: str | None = None,
    share_provisioning_s: float = 2.0,
    ingress_ports: IngressPorts = "fixed",
    paging: PagingShape = DEFAULT_SHAPE,
    max_page_size: int = DEFAULT_MAX_PAGE_SIZE,
) -> int:
    """Run the sandbox in the foreground until SIGINT/SIGTERM (call from the main thread). Returns 0, or 1
    (cannot start) or 2 (not a sandbox database) after a one-line message on stderr.

    Prints the base URL, frontdoor id and token: the sandbox's own throwaway credentials, shown so a
    person can curl it or paste the client configuration. This is the one place the project prints a token.
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
            share_provisioning_s=share_provisioning_s,
            ingress_ports=ingress_ports,
            paging=paging,
            max_page_size=max_page_size,
        )
    except PortInUse as exc:
        kept = f", kept with {path}," if exc.kept else ""
        print(
            f"{_PROG}: cannot start: port {exc.port}{kept} is in use; "
            "choose another with --port N, or --port 0 for a new free one",
            file=sys.stderr,
        )
        return 1
    except (OSError, ValueError) as exc:
        print(f"{_PROG}: cannot start: {exc}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as exc:
        # A file that is not SQLite, or another program's database: one line, not a traceback.
        print(f"{_PROG}: cannot start: {path} is not a sandbox database ({exc})", file=sys.stderr)
        return 2
    _serve_until_signalled(sandbox, path)
    return 0


def _serve_until_signalled(sandbox: RunningSandbox, path: Path) -> None:
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous: dict[signal.Signals, Any] = {
        sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        print(banner(sandbox, path), flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sandbox.stop()


PUBLISHED_LAUNCHER: Final = ("uvx", ("frontdoor-mcp",))
"""How a client starts frontdoor-mcp once it is published on PyPI."""


def launcher() -> tuple[str, list[str]]:
    """How a client on this machine can start frontdoor-mcp today, as this sandbox was started: from the checkout
    it runs from (`uv run --directory <checkout> frontdoor-mcp`, the README's first form), else the installed
    command by its full path (a desktop app may not see the shell's PATH), else this Python with `-m`."""
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "pyproject.toml").is_file() and (checkout / "server" / "frontdoor_mcp").is_dir():
        return "uv", ["run", "--directory", str(checkout), "frontdoor-mcp"]
    installed = shutil.which("frontdoor-mcp")
    if installed is not None:
        return installed, []
    return sys.executable, ["-m", "frontdoor_mcp"]


def client_configuration(sandbox: RunningSandbox, *, published: bool = False) -> dict[str, Any]:
    """The `mcpServers` entry that points frontdoor-mcp at this sandbox (Claude Desktop, VS Code, Cursor): started
    the way that works on this machine now (`launcher`), or, `published`, the `uvx` form that works once the
    package is on PyPI."""
    env = {
        "FRONTDOOR_API_URL": sandbox.base_url,
        "FRONTDOOR_ID": sandbox.frontdoor_id,
        "NETFOUNDRY_API_TOKEN": sandbox.token,
    }
    command, args = (PUBLISHED_LAUNCHER[0], list(PUBLISHED_LAUNCHER[1])) if published else launcher()
    return {"mcpServers": {"frontdoor-sandbox": {"command": command, "args": args, "env": env}}}


MCP_RESOURCE_EXAMPLE: Final = "http://127.0.0.1:8765/mcp"
"""Where `frontdoor-mcp http` listens by default: the audience its tokens must carry in issuer mode."""


def oauth_mode_commands(sandbox: RunningSandbox) -> list[str]:
    """The HTTP server's OAuth mode against this sandbox, as three shell lines to paste: the API settings (the
    client configuration's), the server started as a client here would start it (`launcher`), with this sandbox as
    its issuer, and a token for it from the sandbox's token endpoint."""
    command, args = launcher()
    settings = client_configuration(sandbox)["mcpServers"]["frontdoor-sandbox"]["env"]
    serve = [command, *args, "http", "--issuer", sandbox.issuer, "--resource-url", MCP_RESOURCE_EXAMPLE]
    grant = ["-d", "grant_type=client_credentials", "-d", f"resource={MCP_RESOURCE_EXAMPLE}"]
    credentials = f"{sandbox.mcp_client_id}:{sandbox.mcp_client_secret}"
    return [
        "export " + " ".join(f"{name}={shlex.quote(value)}" for name, value in settings.items()),
        shlex.join([*serve, "--allow-writes"]),
        shlex.join(["curl", "-s", "-u", credentials, *grant, sandbox.token_url]),
    ]


def banner(sandbox: RunningSandbox, path: Path) -> str:
    list_url = f"{sandbox.base_url}/{sandbox.frontdoor_id}/client-certificates"
    return "\n".join(
        [
            "Frontdoor sandbox is running.",
            f"  API base URL:  {sandbox.base_url}",
            f"  Frontdoor id:  {sandbox.frontdoor_id}",
            f"  Token:         {sandbox.token}",
            f"  OAuth2 client: {sandbox.client_id} / {sandbox.client_secret} at {sandbox.token_url}",
            f"  OAuth issuer:  {sandbox.issuer}",
            f"  MCP client:    {sandbox.mcp_client_id} / {sandbox.mcp_client_secret} (scopes "
            f"{' '.join(MCP_SERVER_SCOPES)}: for frontdoor-mcp http --issuer)",
            f"  Admin token:   {sandbox.admin_token} (X-Sandbox-Admin header, for /_sandbox/faults)",
            f"  OpenAPI:       {sandbox.root_url}/openapi.json",
            f"  Database:      {path} (delete it, or pass --db, to start fresh)",
            "Client configuration (Claude Desktop, VS Code) for frontdoor-mcp against this sandbox, started as on "
            "this machine now:",
            json.dumps(client_configuration(sandbox), indent=2),
            'Once frontdoor-mcp is published on PyPI, "command": "uvx" with "args": ["frontdoor-mcp"] works too.',
            "Try:",
            f'  curl -s -H "Authorization: Bearer {sandbox.token}" -H "Accept: application/json" "{list_url}"',
            "The HTTP server's OAuth mode, with this sandbox as its API and its issuer (in another terminal; then a "
            "token for it, the bearer token of docs/HOSTING.md's examples):",
            *(f"  {line}" for line in oauth_mode_commands(sandbox)),
            "Press Ctrl+C to stop.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m frontdoor_mcp.sandbox.runner`: the same command without the frontdoor-mcp CLI."""
    parser = argparse.ArgumentParser(
        prog="python -m frontdoor_mcp.sandbox.runner",
        description="Run the Frontdoor sandbox in the foreground: `frontdoor-mcp sandbox` without the CLI.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"frontdoor-mcp {__version__}")
    add_sandbox_arguments(parser)
    return run_sandbox_command(parser.parse_args(argv))
