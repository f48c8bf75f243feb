"""The `http` and `http-token` commands' options (argparse only: imported at start-up by the CLI). Each flag
overrides the variable `HTTP_SETTINGS` pairs it with; `overrides` turns parsed flags into that mapping."""

from __future__ import annotations

import argparse
from typing import Final

from frontdoor_mcp.rules import ALL_TOOLSETS, TOOLSETS

_HTTP_FLAGS: Final[tuple[tuple[str, str, str], ...]] = (
    # (flag, variable, help)
    ("--host", "FRONTDOOR_MCP_HTTP_HOST", "address to listen on (default 127.0.0.1)"),
    ("--port", "FRONTDOOR_MCP_HTTP_PORT", "port to listen on (default 8765; 0 picks a free one)"),
    ("--path", "FRONTDOOR_MCP_HTTP_PATH", "the MCP endpoint's path (default /mcp)"),
    ("--tokens-file", "FRONTDOOR_MCP_HTTP_TOKENS_FILE", "authenticate with the tokens in this file (see http-token)"),
    ("--issuer", "FRONTDOOR_MCP_HTTP_ISSUER", "authenticate with JWTs from this OAuth issuer"),
    ("--resource-url", "FRONTDOOR_MCP_HTTP_RESOURCE_URL", "this server's public URL: the audience of its JWTs"),
    ("--jwks-url", "FRONTDOOR_MCP_HTTP_JWKS_URL", "the issuer's JWKS (default: from its metadata)"),
    ("--rate-limit", "FRONTDOOR_MCP_HTTP_RATE_LIMIT", "requests a minute per principal (default 600)"),
    ("--rate-burst", "FRONTDOOR_MCP_HTTP_RATE_BURST", "requests a principal may send at once (default 120)"),
    ("--max-body-bytes", "FRONTDOOR_MCP_HTTP_MAX_BODY_BYTES", "largest request body (default 1048576)"),
    ("--forwarded-allow-ips", "FRONTDOOR_MCP_HTTP_FORWARDED_ALLOW_IPS", "proxies trusted with --proxy-headers"),
    ("--log-format", "FRONTDOOR_MCP_LOG_FORMAT", "stderr lines as text (default) or json"),
)
_HTTP_SWITCHES: Final[tuple[tuple[str, str, str], ...]] = (
    (
        "--stateless",
        "FRONTDOOR_MCP_HTTP_STATELESS",
        "no sessions: for several workers (needs FRONTDOOR_MCP_STATE_KEYS)",
    ),
    ("--allow-writes", "FRONTDOOR_MCP_HTTP_ALLOW_WRITES", "register the write tools (off unless given)"),
    ("--proxy-headers", "FRONTDOOR_MCP_HTTP_PROXY_HEADERS", "trust X-Forwarded-For/-Proto from --forwarded-allow-ips"),
)
_HTTP_LISTS: Final[tuple[tuple[str, str, str], ...]] = (
    ("--allowed-host", "FRONTDOOR_MCP_HTTP_ALLOWED_HOSTS", "a Host clients use (repeatable; name, name:port, name:*)"),
    ("--allowed-origin", "FRONTDOOR_MCP_HTTP_ALLOWED_ORIGINS", "an Origin allowed to call (repeatable)"),
)
WITHOUT_FLAG: Final = ("FRONTDOOR_MCP_STATE_KEYS",)
"""Variables no flag overrides: a secret on a command line shows in `ps`."""
HTTP_SETTINGS: Final[dict[str, str]] = {
    **{variable: flag for flag, variable, _text in (*_HTTP_FLAGS, *_HTTP_SWITCHES, *_HTTP_LISTS)},
    **dict.fromkeys(WITHOUT_FLAG, ""),
}
"""Every variable of the HTTP server (besides the stdio server's, which it reads too), and the flag that overrides
it ("" for none). The HTTP server reads its environment through these names only, and every command accepts them
(a shell may set them for `frontdoor-mcp http` and start the stdio server too)."""


def _dest(flag: str) -> str:
    return "http_" + flag.removeprefix("--").replace("-", "_")


def _metavar(flag: str) -> str:
    return flag.removeprefix("--").removeprefix("allowed-").replace("-", "_").upper()


def add_http_arguments(parser: argparse.ArgumentParser) -> None:
    for flag, _variable, text in _HTTP_FLAGS:
        parser.add_argument(flag, dest=_dest(flag), metavar=_metavar(flag), help=text)
    for flag, _variable, text in _HTTP_SWITCHES:
        parser.add_argument(flag, dest=_dest(flag), action="store_true", default=None, help=text)
    for flag, _variable, text in _HTTP_LISTS:
        parser.add_argument(flag, dest=_dest(flag), metavar=_metavar(flag), action="append", help=text)
    parser.add_argument("--read-only", action="store_true", default=None, help="register no write tool")
    parser.add_argument("--sandbox", action="store_true", help="serve against an embedded local sandbox of the API")
    parser.add_argument("--db", help="with --sandbox: the sandbox's SQLite file (default: a fresh temporary one)")
    parser.add_argument("--api-url", help="API base URL (overrides FRONTDOOR_API_URL)")
    parser.add_argument("--frontdoor-id", help="default frontdoor (overrides FRONTDOOR_ID)")
    parser.add_argument("--log-level", help="stderr log level (overrides FRONTDOOR_MCP_LOG_LEVEL)")
    parser.add_argument(
        "--toolsets",
        help=f"the groups of tools served, separated by commas: {', '.join(TOOLSETS)}, or {ALL_TOOLSETS} (the "
        "default); overrides FRONTDOOR_MCP_TOOLSETS. Scopes and --allow-writes apply on top",
    )


def overrides(args: argparse.Namespace) -> dict[str, str | None]:
    """The variables the given flags override (absent flags: None, so the variable stands)."""
    found: dict[str, str | None] = {}
    for flag, variable, _text in _HTTP_FLAGS:
        found[variable] = getattr(args, _dest(flag))
    for flag, variable, _text in _HTTP_SWITCHES:
        found[variable] = "1" if getattr(args, _dest(flag)) else None
    for flag, variable, _text in _HTTP_LISTS:
        values: list[str] | None = getattr(args, _dest(flag))
        found[variable] = ",".join(values) if values else None
    return found


def add_token_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="token_action", required=True)
    add = actions.add_parser("add", help="make a token for LABEL; it is printed once, and only its hash is kept")
    add.add_argument("label", help="who holds it (letters, digits, . _ @ -): shown in the audit log")
    add.add_argument(
        "--scopes",
        required=True,
        help="comma-separated: frontdoor:read, frontdoor:write, frontdoor:tokens (or read, write, tokens)",
    )
    remove = actions.add_parser("remove", help="revoke LABEL's token (a running server notices at once)")
    remove.add_argument("label")
    listing = actions.add_parser("list", help="the labels and scopes in the file (never a token)")
    for sub in (add, remove, listing):
        sub.add_argument("--file", help="the tokens file (default: FRONTDOOR_MCP_HTTP_TOKENS_FILE)")
