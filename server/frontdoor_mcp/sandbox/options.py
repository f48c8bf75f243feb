"""The options of the sandbox command, defined once for `frontdoor-mcp sandbox` and
`python -m frontdoor_mcp.sandbox.runner`. Standard library only: the main command line builds its parser from
this module at every start, so nothing here may pull in the sandbox's web stack."""

from __future__ import annotations

import argparse
import os

from frontdoor_mcp.sandbox.paging import DEFAULT_MAX_PAGE_SIZE, DEFAULT_SHAPE, LARGEST_MAX_PAGE_SIZE, PAGING_SHAPES


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, not {port}")
    return port


def _seconds(text: str) -> int:
    try:
        seconds = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of seconds: {text!r}") from None
    if seconds < 1:
        raise argparse.ArgumentTypeError("must be at least 1 second")
    return seconds


def _delay(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= seconds <= 86400:
        raise argparse.ArgumentTypeError("must be between 0 and 86400 seconds")
    return seconds


def _page_size(text: str) -> int:
    try:
        size = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= size <= LARGEST_MAX_PAGE_SIZE:
        raise argparse.ArgumentTypeError(f"must be from 1 to {LARGEST_MAX_PAGE_SIZE}")
    return size


def add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    """The sandbox command's options, for `frontdoor-mcp sandbox` and `python -m frontdoor_mcp.sandbox.runner`.
    Their destinations start with `sandbox_`, so they never collide with a parent parser's options."""
    parser.add_argument(
        "--host",
        dest="sandbox_host",
        default="127.0.0.1",
        metavar="HOST",
        help="address to listen on (default: 127.0.0.1)",
    )
    parser.add_argument(
        "--port",
        dest="sandbox_port",
        type=_port,
        default=None,
        metavar="N",
        help="port to listen on; by default the port kept with the database (a free one on first start); "
        "0 picks a new free port; the port used is kept for the next start",
    )
    parser.add_argument(
        "--db",
        dest="sandbox_db",
        default=None,
        metavar="PATH",
        help="SQLite file holding the sandbox's state (default: sandbox.db in the user data folder); "
        "delete it, or name another, to start fresh",
    )
    parser.add_argument(
        "--frontdoor-id",
        dest="sandbox_frontdoor_id",
        default=None,
        metavar="UUID",
        help="the frontdoor id to serve (default: one generated once and kept with the database)",
    )
    parser.add_argument(
        "--token",
        dest="sandbox_token",
        default=None,
        metavar="TOKEN",
        help="the bearer token to accept (default: one generated once and kept with the database)",
    )
    parser.add_argument(
        "--client-id",
        dest="sandbox_client_id",
        default=None,
        metavar="ID",
        help="the OAuth2 client id (default: generated, kept)",
    )
    parser.add_argument(
        "--client-secret",
        dest="sandbox_client_secret",
        default=None,
        metavar="SECRET",
        help="the OAuth2 client secret (default: generated, kept)",
    )
    parser.add_argument(
        "--token-ttl",
        dest="sandbox_token_ttl",
        type=_seconds,
        default=3600,
        metavar="SECONDS",
        help="lifetime of the access tokens /oauth/token issues (default: 3600)",
    )
    parser.add_argument(
        "--share-provisioning-seconds",
        dest="sandbox_share_provisioning_s",
        type=_delay,
        default=2.0,
        metavar="SECONDS",
        help="how long a new share stays PROVISIONING before it is ACTIVE (default: 2)",
    )
    parser.add_argument(
        "--ephemeral-ingress-ports",
        dest="sandbox_ingress_ports",
        action="store_const",
        const="ephemeral",
        default="fixed",
        help="TCP shares listen on free ports their bodies name as ingressAddress, instead of on their "
        "ingressPort (2100-2199): for tests, or several sandboxes on one machine",
    )
    parser.add_argument(
        "--paging",
        dest="sandbox_paging",
        choices=PAGING_SHAPES,
        default=DEFAULT_SHAPE,
        help="the shape of list answers to application/json: the guide's (default), Spring Data's page DTO, HAL, "
        "content alone, a bare array, or the whole list as a bare array for every page (unpaged); variants to test "
        "clients with, not API fact (PUT /_sandbox/paging changes it while running)",
    )
    parser.add_argument(
        "--max-page-size",
        dest="sandbox_max_page_size",
        type=_page_size,
        default=DEFAULT_MAX_PAGE_SIZE,
        metavar="N",
        help=f"the largest page a list serves; a larger size asked is cut to it (default: {DEFAULT_MAX_PAGE_SIZE})",
    )
    parser.add_argument(
        "--admin-token",
        dest="sandbox_admin_token",
        default=os.environ.get("FRONTDOOR_SANDBOX_ADMIN_TOKEN"),
        metavar="TOKEN",
        help="the X-Sandbox-Admin header value for /_sandbox/faults (default: $FRONTDOOR_SANDBOX_ADMIN_TOKEN, "
        "else random per start)",
    )
