"""The stderr log: secrets are redacted from the final text, tracebacks included."""

from __future__ import annotations

import logging
import sys

from frontdoor_mcp.cli import RedactingFormatter
from tests.conftest import CANARY_TOKEN


def _formatted(record_exc: BaseException) -> str:
    formatter = RedactingFormatter("%(levelname)s %(message)s", lambda: [CANARY_TOKEN])
    try:
        raise record_exc
    except BaseException:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed with %s", (CANARY_TOKEN,), sys.exc_info())
    return formatter.format(record)


def test_message_arguments_and_traceback_are_redacted() -> None:
    text = _formatted(RuntimeError(f"upstream said Authorization: Bearer {CANARY_TOKEN}"))
    assert CANARY_TOKEN not in text
    assert "Traceback" in text and "[redacted]" in text


def test_jwt_and_secret_fields_are_redacted_by_pattern() -> None:
    formatter = RedactingFormatter("%(message)s")
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, f'token {jwt} {{"client_secret": "s3cr3t"}}', None, None)
    text = formatter.format(record)
    assert jwt not in text and "s3cr3t" not in text
