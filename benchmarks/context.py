"""What the model reads: bytes and estimated tokens (bytes / 4) of `tools/list` (every tool, read-only mode, and
each toolset alone, as `--toolsets` chooses) and of typical results.

    uv run python benchmarks/context.py

Everything runs in this process: a sandbox on loopback, the real server, an in-memory MCP client session.
Sizes are of minified JSON, text and structured content together for a result. The figures depend only on
the code (not on the machine), so a second run prints the same table.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp_types import CallToolResult, TextContent

from frontdoor_mcp.api.auth import BearerToken, Secret
from frontdoor_mcp.config import Settings
from frontdoor_mcp.rules import TOOLSETS
from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from frontdoor_mcp.server import build_server

Row = tuple[str, int]


def _size_of_result(result: CallToolResult) -> int:
    text = "".join(block.text for block in result.content if isinstance(block, TextContent))
    return len(json.dumps(text, separators=(",", ":")).encode()) + len(
        json.dumps(result.structured_content, separators=(",", ":")).encode()
    )


def _size_of_tools(tools: list[Any]) -> tuple[int, int]:
    def minified(value: Any) -> int:
        return len(json.dumps(value, separators=(",", ":")))

    told = sum(minified({"name": t.name, "description": t.description, "inputSchema": t.input_schema}) for t in tools)
    whole = sum(minified(t.model_dump(mode="json", by_alias=True, exclude_none=True)) for t in tools)
    return told, whole


def _expiring_soon() -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "expiring-soon")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=10))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


async def _measure(sandbox: RunningSandbox, work: Path) -> list[Row]:
    settings = Settings(
        api_url=sandbox.base_url,
        frontdoor_id=sandbox.frontdoor_id,
        credential=BearerToken(Secret(sandbox.token), source="benchmark"),
        key_dir=work / "keys",
    )
    rows: list[Row] = []
    sessions: list[tuple[str, Settings]] = [
        ("tools/list, every tool", settings),
        ("tools/list, read-only mode", dataclasses.replace(settings, read_only=True)),
        *(
            (f"tools/list, toolset {toolset}", dataclasses.replace(settings, toolsets=(toolset,)))
            for toolset in TOOLSETS
        ),
    ]
    for label, chosen in sessions:
        async with Client(build_server(chosen)) as client:
            tools = list((await client.list_tools()).tools)
        told, whole = _size_of_tools(tools)
        rows.append((f"{label} ({len(tools)} tools): names, descriptions, input schemas", told))
        rows.append((f"{label} ({len(tools)} tools): the whole list", whole))

    async with Client(build_server(settings)) as client:
        call: Callable[[str, dict[str, Any]], Any] = client.call_tool
        csr = await call("generate_csr", {"common_name": "context-client"})
        rows.append(("a CSR (generate_csr)", _size_of_result(csr)))
        signed = await call(
            "create_client_certificate_from_csr", {"name": "context", "csr_pem": csr.structured_content["csr_pem"]}
        )
        rows.append(("a certificate signed from it (create_client_certificate_from_csr)", _size_of_result(signed)))
        got = await call("get_client_certificate", {"certificate_id": signed.structured_content["id"]})
        rows.append(("a certificate (get_client_certificate)", _size_of_result(got)))
        sandbox.seed_certificates(2_000, value=_expiring_soon(), name_prefix="expiring")
        audit = await call("find_expiring_client_certificates", {})
        rows.append(("an audit of 2,001 certificates, 2,000 expiring", _size_of_result(audit)))
        sandbox.seed_certificates(8_000, name_prefix="bulk")
        page = await call("list_client_certificates", {"size": 20})
        rows.append(("a page of 20 (list_client_certificates)", _size_of_result(page)))
        everything = await call("list_client_certificates", {"all_pages": True})
        rows.append(("all pages of 10,001 certificates (all_pages=true)", _size_of_result(everything)))
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="frontdoor-context-") as folder, start_sandbox() as sandbox:
        work = Path(folder)
        (work / "keys").mkdir(mode=0o700)
        rows = anyio.run(_measure, sandbox, work)
    print("| what the model reads | bytes | tokens (bytes / 4) |")
    print("|---|---|---|")
    for label, size in rows:
        print(f"| {label} | {size:,} | {size // 4:,} |")


if __name__ == "__main__":
    main()
