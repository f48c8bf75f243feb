"""Command line: `frontdoor-mcp [--sandbox] [--read-only] [--toolsets ...]` serves MCP over stdio; `sandbox`,
`demo`, `doctor`, `check-config`, `http` (the same server over streamable HTTP, for a team) and `http-token`
(its tokens file) are subcommands.

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
from frontdoor_mcp.config import ConfigError, Settings, cannot_be_understood, load_settings
from frontdoor_mcp.hosting.flags import HTTP_SETTINGS, add_http_arguments, add_token_arguments
from frontdoor_mcp.log_setup import configure_logging, print_problems, quiet_name_length_warnings, warn_if_no_credential
from frontdoor_mcp.rules import ALL_TOOLSETS, TOOLSETS
from frontdoor_mcp.sandbox.options import add_sandbox_arguments

TOOLSETS_HELP: Final = (
    f"the groups of tools this session carries, separated by commas: {', '.join(TOOLSETS)}, or {ALL_TOOLSETS} "
    "(the default); overrides FRONTDOOR_MCP_TOOLSETS"
)
TERMINAL_HINT: Final = (
    "frontdoor-mcp: this is an MCP server: it speaks JSON-RPC on stdin and stdout, for an MCP client (Claude, VS "
    "Code, Cursor, an agent) to start it; see the README's 'Set-up in your client'. To see it work without one: "
    "frontdoor-mcp demo. Press Ctrl+C to stop."
)


def add_version(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-V", "--version", action="version", version=f"frontdoor-mcp {__version__}")


def add_setting_arguments(parser: argparse.ArgumentParser, *, subcommand: bool = False) -> None:
    """The flags that override the server's settings (each names its variable). On a subcommand, a flag left
    out sets nothing, so the same flag given before the subcommand's name still counts."""
    default = argparse.SUPPRESS if subcommand else None
    parser.add_argument("--api-url", default=default, help="API base URL (overrides FRONTDOOR_API_URL)")
    parser.add_argument("--frontdoor-id", default=default, help="default frontdoor (overrides FRONTDOOR_ID)")
    parser.add_argument(
        "--log-level",
        default=default,
        help="stderr log level: DEBUG (one line per API request), INFO, WARNING (default), ERROR, CRITICAL, or TRACE "
        "(other libraries' internals too); overrides FRONTDOOR_MCP_LOG_LEVEL",
    )
    parser.add_argument("--toolsets", default=default, help=TOOLSETS_HELP)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frontdoor-mcp",
        description="MCP server (stdio) for NetFoundry Frontdoor mTLS client certificates. Started by an MCP "
        "client; its settings come from the environment (see the README's Configuration), each flag overriding "
        "its variable.",
    )
    add_version(parser)
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="serve against an embedded local sandbox of the API (its keys in a temporary folder unless "
        "FRONTDOOR_MCP_KEY_DIR is set)",
    )
    parser.add_argument("--db", help="with --sandbox: the sandbox's SQLite file (default: a fresh temporary one)")
    parser.add_argument("--read-only", action="store_true", default=None, help="register no write tool")
    add_setting_arguments(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    sandbox = commands.add_parser(
        "sandbox",
        help="run the sandbox API alone, for curl or other clients",
        description="Run the sandbox (a local implementation of the Frontdoor API) in the foreground, and print its "
        "base URL, frontdoor id, token, OAuth clients and a client configuration to paste.",
    )
    add_version(sandbox)
    add_sandbox_arguments(sandbox)

    demo = commands.add_parser(
        "demo",
        help="walk an operator's whole job through MCP against the sandbox",
        description="Start a sandbox and two frontdoor-mcp servers (an operator's and a recipient's), connect to "
        "them as an MCP client over stdio, and walk a certificate's lifecycle, shares and a delegated certificate, "
        "printing each call and what the assistant reads. Needs no account and touches nothing outside a "
        "temporary folder.",
    )
    add_version(demo)
    doctor = commands.add_parser(
        "doctor",
        help="check credentials, API reachability, the frontdoor and the clock",
        description="Check a set-up before giving it to a client: the settings, which credential is used, a token, "
        "whether the API answers and accepts it, the frontdoor, and the clock. Run it with the server's environment. "
        "Exit status: 0 every check passed, 1 a check failed, 2 the configuration cannot be understood.",
    )
    add_version(doctor)
    add_setting_arguments(doctor, subcommand=True)
    check = commands.add_parser(
        "check-config",
        help="check the settings without starting a server or sending a request",
        description="Read the settings as the server would (environment and flags) and report every value that "
        "cannot be understood, all at once, and a credential visibly malformed; sends nothing. Exit status: 0 "
        "understood, 2 not.",
    )
    add_version(check)
    add_setting_arguments(check, subcommand=True)
    check.add_argument(
        "--read-only", action="store_true", default=argparse.SUPPRESS, help="as the server's --read-only"
    )

    http = commands.add_parser(
        "http",
        help="serve MCP over streamable HTTP for a team: authenticated, scopes per tool, writes off unless allowed",
        description="Serve MCP over streamable HTTP (both protocol eras). Every flag overrides the variable named in "
        "docs/HOSTING.md (in the source repository and the sdist); the NetFoundry credentials and settings are the "
        "stdio server's variables. A setting that cannot be understood stops the start (exit 2).",
    )
    add_version(http)
    add_http_arguments(http)
    tokens = commands.add_parser(
        "http-token",
        help="add, remove or list the HTTP server's bearer tokens",
        description="Manage the HTTP server's tokens file: a new token is printed once on stdout; the file keeps "
        "only its SHA-256, its label and its scopes.",
    )
    add_version(tokens)
    add_token_arguments(tokens)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    quiet_name_length_warnings()  # every command reads certificates; the sandbox's data plane too
    args = _parser().parse_args(argv)
    raise SystemExit(COMMANDS[args.command or "serve"](args))


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings as the stdio server reads them: the environment, each flag given overriding its variable.
    The HTTP server's variables are not problems here (`HTTP_SETTINGS`)."""
    return load_settings(
        other_settings=HTTP_SETTINGS,
        api_url=args.api_url,
        frontdoor_id=args.frontdoor_id,
        read_only=args.read_only,
        log_level=args.log_level,
        toolsets=args.toolsets,
    )


def settings_to_serve(args: argparse.Namespace) -> Settings:
    """The stdio server's settings. When some cannot be understood, each problem is printed on stderr (one line
    each), and the fail-closed stand-in is served: it acts on nothing, but an MCP client that hides stderr
    still shows the problems (in the instructions, and as the answer to every call)."""
    try:
        return settings_from(args)
    except ConfigError as exc:
        print_problems(exc.problems)
        if exc.fallback is None:  # load_settings always gives one: never serve without it
            raise
        print(
            "frontdoor-mcp: serving nothing until the configuration is fixed: every tool call answers with the "
            "problems above",
            file=sys.stderr,
        )
        return exc.fallback


def _serve(args: argparse.Namespace) -> int:
    """`frontdoor-mcp`: MCP over stdio."""
    from frontdoor_mcp.server import build_server

    settings = settings_to_serve(args)
    configure_logging(settings.log_level)
    if sys.stdin.isatty():
        print(TERMINAL_HINT, file=sys.stderr, flush=True)
    with ExitStack() as cleanup:
        served = settings
        if args.sandbox and not settings.problems:
            served = _sandboxed(settings, args.db, cleanup)
            if served is None:
                return 2
        server = build_server(served)
        warn_if_no_credential(served, server.offered_tools)
        server.run("stdio")
    return 0


def _sandboxed(settings: Settings, db: str | None, cleanup: ExitStack, *, keys: bool = True) -> Settings | None:
    from frontdoor_mcp.sandboxed import sandboxed

    return sandboxed(settings, db, cleanup, keys=keys)


def _sandbox(args: argparse.Namespace) -> int:
    from frontdoor_mcp.sandbox.runner import run_sandbox_command

    return run_sandbox_command(args)


def _demo(_: argparse.Namespace) -> int:
    from frontdoor_mcp.demo import run_demo

    return run_demo()


def _doctor(args: argparse.Namespace) -> int:
    from frontdoor_mcp.doctor import run_doctor

    return run_doctor(
        api_url=args.api_url,
        frontdoor_id=args.frontdoor_id,
        log_level=args.log_level,
        toolsets=args.toolsets,
        other_settings=HTTP_SETTINGS,
    )


def _check_config(args: argparse.Namespace) -> int:
    """`frontdoor-mcp check-config`: every problem at once, or what was understood; exit 2 or 0. A credential
    whose shape is visibly wrong (a token that starts with "Bearer ", holds a line break...) is understood as a
    setting but would be refused by the API: it fails too, as it does in `doctor`."""
    try:
        settings = settings_from(args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"FAIL {problem}")
        print(cannot_be_understood(exc.problems))
        return 2
    for line in describe_settings(settings):
        print(f"ok   {line}")
    malformed = settings.credential.problems() if settings.credential else []
    for problem in malformed:
        print(f"FAIL credential from {settings.credential_source}: {problem}")
    if malformed:
        print(
            "The credential is visibly malformed: the API would refuse it (nothing was sent). Fix it, then check again."
        )
        return 2
    print("The configuration is understood (nothing was sent: `frontdoor-mcp doctor` checks the API too).")
    return 0


def describe_settings(settings: Settings) -> list[str]:
    """What the server will use, one line each; never a secret (a credential is named by its source)."""
    return [
        f"API: {settings.api_url}",
        f"frontdoor: {settings.frontdoor_id or '(none: every call passes frontdoor_id)'}",
        f"credential: {settings.credential_source}",
        f"toolsets: {', '.join(settings.toolsets)}",
        f"read-only: {'yes' if settings.read_only else 'no'}",
        f"key folder: {settings.key_dir or '(the default, in the user data folder)'}",
        f"log level: {settings.log_level}",
    ]


def _http(args: argparse.Namespace) -> int:
    from frontdoor_mcp.hosting.command import run_http_command

    return run_http_command(
        args,
        lambda settings, cleanup: _sandboxed(settings, args.db, cleanup, keys=False) if args.sandbox else settings,
    )


def _http_token(args: argparse.Namespace) -> int:
    from frontdoor_mcp.hosting.command import run_token_command

    return run_token_command(args)


COMMANDS: Final[dict[str, Callable[[argparse.Namespace], int]]] = {
    "serve": _serve,
    "sandbox": _sandbox,
    "demo": _demo,
    "doctor": _doctor,
    "check-config": _check_config,
    "http": _http,
    "http-token": _http_token,
}


if __name__ == "__main__":
    main()
