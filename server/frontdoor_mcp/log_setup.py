"""The process's log: stderr only (stdout carries the MCP protocol over stdio), every line redacted, and the
one warning every server start owes a person (no API credential). Used by every command that serves."""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Callable, Collection, Iterable
from typing import Final

from frontdoor_mcp.config import CREDENTIAL_LOCATIONS, Settings
from frontdoor_mcp.redaction import redact


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


def quiet_name_length_warnings() -> None:
    """cryptography warns when a certificate's name holds a value longer than X.520's bound (a CN over 64
    characters). TLS does not enforce that bound and such certificates are in use: this server and the sandbox
    read them as data, and the warning would only reach stderr saying nothing a person can act on."""
    warnings.filterwarnings("ignore", message="Attribute's length must be", category=UserWarning)


def configure_logging(level: str) -> logging.Handler:
    """stderr only (stdout carries the MCP protocol), with secrets redacted. Set up before the server is
    built, so the SDK's own `basicConfig` finds a handler and leaves it in place. `level` applies to our own
    loggers; other libraries' stay at WARNING unless `level` is TRACE (their internals at DEBUG)."""
    quiet_name_length_warnings()
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


def print_problems(problems: Iterable[str]) -> None:
    """Each configuration problem as one line on stderr, as every command that serves says them (an MCP client
    may show a server's stderr; the stdio server also answers with them)."""
    for problem in problems:
        print(f"frontdoor-mcp: {problem}", file=sys.stderr, flush=True)


CREDENTIAL_FREE_TOOLS: Final = ("inspect_certificate", "redeem_certificate_request_token", "generate_csr")
"""The tools a person without an API credential is likely to want, which need none (named in the warning)."""


def warn_if_no_credential(settings: Settings, offered: Collection[str]) -> None:
    """The server still starts without a credential (local tools work, and a request token is redeemed without
    one), but a person starting it should know why the API tools will refuse. Names only the tools of
    `CREDENTIAL_FREE_TOOLS` this server `offered` (its toolsets, read-only mode, a remote server's variants). Not
    said when the settings could not be understood at all: those problems are what a person needs to read."""
    if settings.credential is not None or settings.problems:
        return
    working = [name for name in CREDENTIAL_FREE_TOOLS if name in offered]
    if working:
        verb = "works" if len(working) == 1 else "work"
        listed = working[0] if len(working) == 1 else f"{', '.join(working[:-1])} and {working[-1]}"
        also = f"; {listed} {verb} without one"
    else:
        also = ""
    logging.getLogger("frontdoor_mcp").warning(
        "no API credential is configured: the API tools will refuse without sending anything until one of %s is set%s.",
        CREDENTIAL_LOCATIONS,
        also,
    )
