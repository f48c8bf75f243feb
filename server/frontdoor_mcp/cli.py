"""Command line: `frontdoor-mcp [--sandbox] [--read-only]` serves MCP over stdio; `sandbox`, `demo` and
`doctor` are subcommands. Heavy modules are imported only by the command that needs them."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from frontdoor_mcp.api.auth import Credential
    from frontdoor_mcp.config import Settings


_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A credential after "Bearer"/"Basic": 8+ token characters with a digit, or 20+ (not "Bearer token is ...").
    (
        re.compile(r"(?i)\b(bearer|basic)(\s+)(?:(?=\S*\d)[\w\-.~+/]{8,}|[\w\-.~+/]{20,})=*"),
        r"\1\2[redacted]",
    ),
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[redacted JWT]"),
    (
        re.compile(r"(?i)([\"']?(?:access_token|client_secret|password)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"),
        r"\1[redacted]",
    ),
)


def redact_secrets(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """A safety net on the stderr handler: nothing we log carries a secret, but a library might. It works on
    the final text, tracebacks included. Besides the patterns, the configured credential's own values are
    removed wherever they appear: at DEBUG, httpcore logs every response header, and a proxy that reflects the
    token in one (without "Bearer") would otherwise put it in the log."""

    def __init__(self, fmt: str, secrets: Callable[[], Iterable[str]] = tuple) -> None:
        super().__init__(fmt)
        self._secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        text = redact_secrets(super().format(record))
        for secret in self._secrets():
            if secret:
                text = text.replace(secret, "[redacted]")
        return text


def configure_logging(level: str, credential: Credential | None = None) -> None:
    """stderr only (stdout carries the MCP protocol), with secrets redacted. Set up before the server is
    built, so the SDK's own `basicConfig` finds a handler and leaves it in place."""
    handler = logging.StreamHandler(sys.stderr)
    # secret_values is read per record: an OAuth access token changes as it is renewed.
    handler.setFormatter(
        RedactingFormatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s",
            credential.secret_values if credential is not None else tuple,
        )
    )
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frontdoor-mcp",
        description="MCP server (stdio) for NetFoundry Frontdoor mTLS client certificates.",
    )
    parser.add_argument("--sandbox", action="store_true", help="serve against an embedded local sandbox of the API")
    parser.add_argument("--db", help="with --sandbox: the sandbox's SQLite file (default: a fresh temporary one)")
    parser.add_argument("--read-only", action="store_true", default=None, help="register no write tool")
    parser.add_argument("--api-url", help="API base URL (overrides FRONTDOOR_API_URL)")
    parser.add_argument("--frontdoor-id", help="default frontdoor (overrides FRONTDOOR_ID)")
    parser.add_argument("--log-level", help="stderr log level (overrides FRONTDOOR_MCP_LOG_LEVEL)")
    commands = parser.add_subparsers(dest="command")

    sandbox = commands.add_parser("sandbox", help="run the sandbox API alone, for curl or other clients")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=0)
    sandbox.add_argument("--db", dest="sandbox_db", help="SQLite file (default: in the user data dir)")
    sandbox.add_argument("--frontdoor-id", dest="sandbox_frontdoor_id")
    sandbox.add_argument("--token")
    sandbox.add_argument("--client-id")
    sandbox.add_argument("--client-secret")
    sandbox.add_argument("--token-ttl", type=int, default=3600)

    commands.add_parser("demo", help="walk a whole certificate lifecycle through MCP against the sandbox")
    commands.add_parser("doctor", help="check credentials, API reachability, the frontdoor and the clock")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "sandbox":
        from frontdoor_mcp.sandbox.runner import serve_forever

        raise SystemExit(
            serve_forever(
                host=args.host,
                port=args.port,
                db_path=args.sandbox_db,
                frontdoor_id=args.sandbox_frontdoor_id,
                token=args.token,
                client_id=args.client_id,
                client_secret=args.client_secret,
                token_ttl=args.token_ttl,
            )
        )
    if args.command == "demo":
        from frontdoor_mcp.demo import run_demo

        raise SystemExit(run_demo())
    if args.command == "doctor":
        from frontdoor_mcp.doctor import run_doctor

        raise SystemExit(run_doctor(api_url=args.api_url, frontdoor_id=args.frontdoor_id))
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
    configure_logging(settings.log_level, settings.credential)
    with ExitStack() as cleanup:
        if args.sandbox:
            import sqlite3

            try:
                settings = _with_sandbox(settings, args.db, cleanup)
            except sqlite3.DatabaseError as exc:
                print(f"frontdoor-mcp: {args.db} is not a sandbox database ({exc})", file=sys.stderr)
                return 2
        build_server(settings).run("stdio")
    return 0


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
