"""`frontdoor-mcp http` (serve) and `frontdoor-mcp http-token` (manage the tokens file)."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import socket
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Final

import uvicorn

from frontdoor_mcp.config import ConfigError, ProblemCollector, Settings, load_settings
from frontdoor_mcp.hosting.asgi import build_http_app, offered_over_http
from frontdoor_mcp.hosting.flags import HTTP_SETTINGS, overrides
from frontdoor_mcp.hosting.log_format import configure_http_logging
from frontdoor_mcp.hosting.options import SCOPES, HostingOptions, TokenFileAuth, load_hosting_options
from frontdoor_mcp.hosting.token_file import add_token, read_entries, remove_token
from frontdoor_mcp.log_setup import configure_logging, print_problems, warn_if_no_credential

logger = logging.getLogger("frontdoor_mcp.hosting")

CONNECTION_LIMIT: Final = 1024
"""Concurrent connections and requests per process before uvicorn answers 503."""
KEEP_ALIVE_S: Final = 5
GRACEFUL_SHUTDOWN_S: Final = 10
SHORT_SCOPES: Final = {scope.split(":", 1)[1]: scope for scope in SCOPES}


def uvicorn_config(app: object, options: HostingOptions, log_level: str) -> uvicorn.Config:
    """Timeouts and limits for a server on a network: idle keep-alive connections close after 5 s, shutdown
    waits 10 s for requests in flight, past 1,024 concurrent connections new ones get 503. Logging is left
    to ours (redacted); no access lines (the audit log says who wrote what). Proxy headers as uvicorn
    handles them, trusted only from `forwarded_allow_ips`, and only when asked for."""
    return uvicorn.Config(
        app,  # pyright: ignore[reportArgumentType]
        lifespan="on",
        log_config=None,
        log_level="debug" if log_level == "TRACE" else "warning",
        access_log=False,
        server_header=False,
        proxy_headers=options.proxy_headers,
        forwarded_allow_ips=options.forwarded_allow_ips,
        timeout_keep_alive=KEEP_ALIVE_S,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        limit_concurrency=CONNECTION_LIMIT,
    )


def run_http_command(
    args: argparse.Namespace, served: Callable[[Settings, ExitStack], Settings | None] = lambda settings, _: settings
) -> int:
    """`frontdoor-mcp http`: the settings as for stdio, the HTTP options from their variables and flags.
    `served` turns the settings into those served (the CLI's `--sandbox`); None when that failed (said)."""
    collector = ProblemCollector()
    settings = collector.read(
        lambda: load_settings(
            other_settings=HTTP_SETTINGS,
            api_url=args.api_url,
            frontdoor_id=args.frontdoor_id,
            read_only=args.read_only,
            log_level=args.log_level,
            toolsets=args.toolsets,
        ),
        None,
    )
    options = collector.read(lambda: load_hosting_options(os.environ, overrides(args)), None)
    if settings is None or options is None:
        print_problems(collector.problems)
        return 2
    configure_http_logging(configure_logging(settings.log_level), options.log_format)
    with ExitStack() as cleanup:
        chosen = served(settings, cleanup)
        return 2 if chosen is None else serve_http(chosen, options)


def serve_http(settings: Settings, options: HostingOptions) -> int:
    """Serve until interrupted. 2 for a configuration problem, 1 when the port cannot be bound."""
    try:
        app = build_http_app(settings, options)
    except ConfigError as exc:
        print_problems(exc.problems)
        return 2
    warn_if_no_credential(settings, [tool.name for tool in offered_over_http(settings, options)])
    try:
        sock = _bind(options.host, options.port)
    except OSError as exc:
        taken = exc.errno == errno.EADDRINUSE
        why = "is already in use; choose another with --port" if taken else f"cannot be bound ({exc.strerror})"
        print(f"frontdoor-mcp: {options.host}:{options.port} {why}", file=sys.stderr)
        return 1
    print(f"frontdoor-mcp: {_banner(settings, options, sock)}", file=sys.stderr, flush=True)
    uvicorn.Server(uvicorn_config(app, options, settings.log_level)).run(sockets=[sock])
    return 0


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


def _banner(settings: Settings, options: HostingOptions, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    host = f"[{options.host}]" if ":" in options.host else options.host
    if isinstance(options.auth, TokenFileAuth):
        auth = f"tokens file {options.auth.path}"
    else:
        auth = f"JWTs from {options.auth.issuer} for {options.auth.resource_url}"
    mode = "stateless" if options.stateless else "stateful sessions"
    writes = "writes off" if settings.read_only or not options.allow_writes else "writes allowed"
    hosts = ", ".join(options.allowed_hosts)
    return (
        f"serving MCP over streamable HTTP at http://{host}:{port}{options.path} ({mode}, {writes}); "
        f"authentication: {auth}; allowed hosts: {hosts}"
    )


def run_token_command(args: argparse.Namespace) -> int:
    """`http-token add|remove|list`. The new token is the only thing written to stdout (scripts can take it);
    everything else goes to stderr."""
    given = args.file or os.environ.get("FRONTDOOR_MCP_HTTP_TOKENS_FILE", "").strip()
    if not given:
        print("frontdoor-mcp: give the tokens file with --file or FRONTDOOR_MCP_HTTP_TOKENS_FILE", file=sys.stderr)
        return 2
    path = Path(given).expanduser()
    try:
        action: str = args.token_action
        if action == "add":
            scopes = [SHORT_SCOPES.get(item.strip(), item.strip()) for item in args.scopes.replace(" ", ",").split(",")]
            token = add_token(path, args.label, [scope for scope in scopes if scope])
            print(token)
            print(
                f"frontdoor-mcp: token for {args.label} added to {path}. It is shown this once: give it to its holder "
                "now, who sends it as `Authorization: Bearer <token>`.",
                file=sys.stderr,
            )
        elif action == "remove":
            if not remove_token(path, args.label):
                print(f"frontdoor-mcp: {path} has no token labelled {args.label}", file=sys.stderr)
                return 1
            print(f"frontdoor-mcp: the token of {args.label} is revoked", file=sys.stderr)
        else:
            for entry in read_entries(path):
                print(f"{entry.label}\t{','.join(entry.scopes)}\t{entry.created}")
    except ConfigError as exc:
        print_problems(exc.problems)
        return 2
    return 0
