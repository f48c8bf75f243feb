"""Command line: `frontdoor-mcp [--sandbox] [--read-only]` serves MCP over stdio; `sandbox`, `demo`, `doctor`,
`http` (the same server over streamable HTTP, for a team) and `http-token` (its tokens file) are subcommands.

Each command imports what it runs when it runs (the one import inside each of the functions below): serving
over stdio never loads the sandbox, the HTTP stack's own modules, the demo's client or the doctor.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Final

from frontdoor_mcp import __version__
from frontdoor_mcp.config import ConfigError, Settings, load_settings
from frontdoor_mcp.hosting.flags import add_http_arguments, add_token_arguments
from frontdoor_mcp.log_setup import configure_logging, warn_if_no_credential
from frontdoor_mcp.sandbox.options import add_sandbox_arguments


def add_version(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-V", "--version", action="version", version=f"frontdoor-mcp {__version__}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frontdoor-mcp",
        description="MCP server (stdio) for NetFoundry Frontdoor mTLS client certificates.",
    )
    add_version(parser)
    parser.add_argument("--sandbox", action="store_true", help="serve against an embedded local sandbox of the API")
    parser.add_argument("--db", help="with --sandbox: the sandbox's SQLite file (default: a fresh temporary one)")
    parser.add_argument("--read-only", action="store_true", default=None, help="register no write tool")
    parser.add_argument("--api-url", help="API base URL (overrides FRONTDOOR_API_URL)")
    parser.add_argument("--frontdoor-id", help="default frontdoor (overrides FRONTDOOR_ID)")
    parser.add_argument(
        "--log-level",
        help="stderr log level: DEBUG (one line per API request), INFO, WARNING (default), ERROR, CRITICAL, or TRACE "
        "(other libraries' internals too); overrides FRONTDOOR_MCP_LOG_LEVEL",
    )
    commands = parser.add_subparsers(dest="command")

    sandbox = commands.add_parser("sandbox", help="run the sandbox API alone, for curl or other clients")
    add_version(sandbox)
    add_sandbox_arguments(sandbox)

    add_version(commands.add_parser("demo", help="walk a whole certificate lifecycle through MCP against the sandbox"))
    doctor = commands.add_parser("doctor", help="check credentials, API reachability, the frontdoor and the clock")
    add_version(doctor)

    http = commands.add_parser(
        "http",
        help="serve MCP over streamable HTTP for a team: authenticated, scopes per tool, writes off unless allowed",
        description="Serve MCP over streamable HTTP (both protocol eras). Every flag overrides the variable named in "
        "docs/HOSTING.md; the NetFoundry credentials and settings are the stdio server's variables.",
    )
    add_version(http)
    add_http_arguments(http)
    tokens = commands.add_parser("http-token", help="add, remove or list the HTTP server's bearer tokens")
    add_version(tokens)
    add_token_arguments(tokens)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    raise SystemExit(COMMANDS[args.command or "serve"](args))


def _serve(args: argparse.Namespace) -> int:
    """`frontdoor-mcp`: MCP over stdio."""
    from frontdoor_mcp.server import build_server

    try:
        settings = load_settings(
            api_url=args.api_url, frontdoor_id=args.frontdoor_id, read_only=args.read_only, log_level=args.log_level
        )
    except ConfigError as exc:
        print(f"frontdoor-mcp: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    with ExitStack() as cleanup:
        served = _sandboxed(settings, args.db, cleanup) if args.sandbox else settings
        if served is None:
            return 2
        warn_if_no_credential(served)
        build_server(served).run("stdio")
    return 0


def _sandboxed(settings: Settings, db: str | None, cleanup: ExitStack) -> Settings | None:
    from frontdoor_mcp.sandboxed import sandboxed

    return sandboxed(settings, db, cleanup)


def _sandbox(args: argparse.Namespace) -> int:
    from frontdoor_mcp.sandbox.runner import run_sandbox_command

    return run_sandbox_command(args)


def _demo(_: argparse.Namespace) -> int:
    from frontdoor_mcp.demo import run_demo

    return run_demo()


def _doctor(args: argparse.Namespace) -> int:
    from frontdoor_mcp.doctor import run_doctor

    return run_doctor(api_url=args.api_url, frontdoor_id=args.frontdoor_id)


def _http(args: argparse.Namespace) -> int:
    from frontdoor_mcp.hosting.command import run_http_command

    return run_http_command(
        args, lambda settings, cleanup: _sandboxed(settings, args.db, cleanup) if args.sandbox else settings
    )


def _http_token(args: argparse.Namespace) -> int:
    from frontdoor_mcp.hosting.command import run_token_command

    return run_token_command(args)


COMMANDS: Final[dict[str, Callable[[argparse.Namespace], int]]] = {
    "serve": _serve,
    "sandbox": _sandbox,
    "demo": _demo,
    "doctor": _doctor,
    "http": _http,
    "http-token": _http_token,
}


if __name__ == "__main__":
    main()
