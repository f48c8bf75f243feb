"""The real thing: `frontdoor-mcp --sandbox` as a subprocess, over stdio, in both protocol eras; and the demo."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.support import ok, text_of

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def _params(tmp_path: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "frontdoor_mcp", "--sandbox", "--db", str(tmp_path / "sandbox.db")],
        env={"FRONTDOOR_MCP_KEY_DIR": str(tmp_path)},
    )


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_stdio_lifecycle(tmp_path: Path, mode: str) -> None:
    async with Client(_params(tmp_path), mode=mode) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        assert "create_client_certificate_from_csr" in tools
        csr = ok(await client.call_tool("generate_csr", {"common_name": "stdio-client"}))
        created = ok(
            await client.call_tool("create_client_certificate_from_csr", {"name": "stdio", "csr_pem": csr["csr_pem"]})
        )
        listed = ok(await client.call_tool("list_client_certificates", {}))
        missing = await client.call_tool("get_client_certificate", {"certificate_id": "cert-0000"})
        if mode == "auto":
            assert client.protocol_version == "2026-07-28"
        else:
            assert client.protocol_version == "2025-11-25"
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert missing.is_error and "not found" in text_of(missing)


def test_demo_walks_the_operators_job_and_exits_zero() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "frontdoor_mcp", "demo"], capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    for step in (
        "generate_csr",
        "create_client_certificate_from_csr",
        "upload_client_certificate",
        "list_client_certificates",
        "get_client_certificate",
        "update_client_certificate",
        "replace_client_certificate",
        "delete_client_certificate",
        "inspect_certificate",
        "list_shares",
        "check_certificate_against_share",
        "create_certificate_request_token",
        "recipient: redeem_certificate_request_token",
        "get_certificate_request_token",
    ):
        assert step in out
    assert "would REFUSE" in out and "would ADMIT" in out
    assert "Demo complete" in out
    assert "PRIVATE KEY" not in out
    assert "WARNING" not in completed.stderr and "WARNING" not in out, (
        "the first command a newcomer runs warns of nothing"
    )
    assert not re.search(r"crt_[A-Za-z0-9_-]{8,}", out + completed.stderr), "a request token was printed"
