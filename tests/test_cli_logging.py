"""The stderr log: secrets are redacted from the final text, tracebacks included; DEBUG is our own line per API
request, other libraries stay at WARNING unless TRACE."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from frontdoor_mcp.log_setup import RedactingFormatter, configure_logging
from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.server import build_server
from tests.support import CANARY_TOKEN, connect, ok, sandbox_settings


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


@pytest.mark.anyio
@pytest.mark.parametrize(("level", "other_libraries"), [("DEBUG", False), ("TRACE", True)])
async def test_debug_is_our_line_per_request_and_trace_adds_other_libraries(
    level: str, other_libraries: bool, sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    levels = (root.level, logging.getLogger("frontdoor_mcp").level)
    handler = configure_logging(level)
    try:
        server = build_server(sandbox_settings(sandbox, tmp_path))
        async with connect(server, "legacy") as client:
            ok(await client.call_tool("list_client_certificates", {}))
            ok(await client.call_tool("list_client_certificates", {"page": 1}))
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        logging.getLogger("frontdoor_mcp").setLevel(levels[1])
    lines = capsys.readouterr().err.splitlines()
    ours = [line for line in lines if " frontdoor_mcp.api.client: GET /frontdoor/" in line]
    assert len(ours) == 2 and all(line.endswith(" ms)") and " -> 200 (" in line for line in ours)
    others = [line for line in lines if line not in ours]
    assert bool(others) is other_libraries, others[:5]
    assert CANARY_TOKEN not in "\n".join(lines)
