"""Command line: `frontdoor-mcp [--sandbox] [--read-only]` serves MCP over stdio; `sandbox`, `demo`, `doctor`,
`http` (the same server over streamable HTTP, for a team) and `http-token` (its tokens file) are subcommands.
Heavy modules are imported only by the command that needs them."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from frontdoor_mcp import __version__
from frontdoor_mcp.hosting.flags import add_http_arguments, add_token_arguments
from frontdoor_mcp.redaction import redact
from frontdoor_mcp.sandbox.options import add_sandbox_arguments

if TYPE_CHECKING:
    from frontdoor_mcp.config import Settings


class RedactingFormatter(logging.Formatter):
    """A safety net on the stderr handler: nothing we log carries a secret, but a library might. It works on
    the final text, tracebacks included: every secret this process knows of (`redaction.KNOWN_SECRETS`, which
    holds the configured credential and every token obtained or seen), the `secrets` given, and anything
    shaped like a credential. At DEBUG, httpcore logs response headers, and a proxy that reflects the token
    in one (without "Bearer") would otherwise put it in the log."""

    def __init__(self, fmt: str, secrets: Callable[[], Iterable[str]] = tuple) -> None:
        super().__init__(fmt)
        self._secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._secrets())


def configure_logging(level: str) -> logging.Handler:
    """stderr only (stdout carries the MCP protocol), with secrets redacted. Set up before the server is
    built, so the SDK's own `basicConfig` finds a handler and leaves it in place. `level` applies to our own
    loggers; other libraries' stay at WARNING unless `level` is TRACE (their internals at DEBUG)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if level == "TRACE":
        root.setLevel(logging.DEBUG)
    else:
        root.setLevel(max(logging.WARNING, logging.getLevelNamesMapping()[level]))
        logging.getLogger("frontdoor_mcp").setLevel(level)
    return handler


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
    if args.command == "sandbox":
        from frontdoor_mcp.sandbox.runner import run_sandbox_command

        raise SystemExit(run_sandbox_command(args))
    if args.command == "demo":
        from frontdoor_mcp.demo import run_demo

        raise SystemExit(run_demo())
    if args.command == "doctor":
        from frontdoor_mcp.doctor import run_doctor

        raise SystemExit(run_doctor(api_url=args.api_url, frontdoor_id=args.frontdoor_id))
    if args.command == "http":
        raise SystemExit(_serve_http(args))
    if args.command == "http-token":
        from frontdoor_mcp.hosting.command import run_token_command

        raise SystemExit(run_token_command(args))
    raise SystemExit(_serve(args))


def _serve(args: argparse.Namespace) -> int:
    from frontdoor_mcp.app import build_server
    from frontdoor_mcp.config import ConfigError, load_settings

    try:
        settings = load_settings(
            api_url=args.api_url, frontdoor_id=args.frontdoor_id, read_only=args.read_only, log_level=args.log_level
        )
    except ConfigError as exc:
        print(f"frontdoor-mcp: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    with ExitStack() as cleanup:
        served = _sandboxed_if_asked(settings, args, cleanup)
        if served is None:
            return 2
        warn_if_no_credential(served)
        build_server(served).run("stdio")
    return 0


def _serve_http(args: argparse.Namespace) -> int:
    """`frontdoor-mcp http`: the settings as for stdio, the HTTP options from their variables and flags."""
    import os

    from frontdoor_mcp.config import ConfigError, load_settings
    from frontdoor_mcp.hosting.command import serve_http
    from frontdoor_mcp.hosting.flags import overrides
    from frontdoor_mcp.hosting.logs import configure_http_logging
    from frontdoor_mcp.hosting.options import load_hosting_options

    try:
        settings = load_settings(
            api_url=args.api_url, frontdoor_id=args.frontdoor_id, read_only=args.read_only, log_level=args.log_level
        )
        options = load_hosting_options(os.environ, overrides(args))
    except ConfigError as exc:
        print(f"frontdoor-mcp: {exc}", file=sys.stderr)
        return 2
    configure_http_logging(configure_logging(settings.log_level), options.log_format)
    with ExitStack() as cleanup:
        served = _sandboxed_if_asked(settings, args, cleanup)
        return 2 if served is None else serve_http(served, options)


def warn_if_no_credential(settings: Settings) -> None:
    """The server still starts without a credential (local tools work, and a request token is redeemed without
    one), but a person starting it should know why the API tools will refuse."""
    if settings.credential is None:
        from frontdoor_mcp.tools.messages import CREDENTIAL_LOCATIONS

        logging.getLogger("frontdoor_mcp").warning(
            "no API credential is configured: the API tools will refuse without sending anything until one of "
            "%s is set; inspect_certificate and redeem_certificate_request_token work (and, over stdio, generate_csr).",
            CREDENTIAL_LOCATIONS,
        )


def _sandboxed_if_asked(settings: Settings, args: argparse.Namespace, cleanup: ExitStack) -> Settings | None:
    """With --sandbox, the settings pointed at an embedded sandbox (which `cleanup` stops); None, said on
    stderr, when --db names a file that is not a sandbox database."""
    if not args.sandbox:
        return settings
    import sqlite3

    try:
        return _with_sandbox(settings, args.db, cleanup)
    except sqlite3.DatabaseError as exc:
        print(f"frontdoor-mcp: {args.db} is not a sandbox database ({exc})", file=sys.stderr)
        return None


def _with_sandbox(settings: Settings, db: str | None, cleanup: ExitStack) -> Settings:
    """Start the embedded sandbox and point the settings at it (its own frontdoor and token). `cleanup`
    stops it, and removes its temporary database (which holds its CA key), when serving ends."""
    import dataclasses
    import tempfile

    from frontdoor_mcp.api.auth import BearerToken, Secret
    from frontdoor_mcp.sandbox.runner import start_sandbox

    if db is None:
        folder = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="frontdoor-sandbox-"))
        db = str(Path(folder) / "sandbox.db")
    sandbox = start_sandbox(db_path=db)
    cleanup.callback(sandbox.stop)
    return dataclasses.replace(
        settings,
        api_url=sandbox.base_url,
        frontdoor_id=sandbox.frontdoor_id,
        credential=BearerToken(Secret(sandbox.token), source="--sandbox"),
    )


if __name__ == "__main__":
    main()
