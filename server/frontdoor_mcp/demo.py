"""`frontdoor-mcp demo`: a real MCP client walks a whole certificate lifecycle against `--sandbox`.

It spawns `frontdoor-mcp --sandbox` (fresh temporary database and key folder) as a subprocess, talks to it
over stdio like any assistant would, and prints each call and a readable summary of its result.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import CallToolResult, TextContent

MISSING_ID = "cert-00000000-0000-4000-8000-000000000000"


@dataclass
class Walk:
    client: Client
    failures: list[str] = field(default_factory=list[str])
    step: int = 0

    async def call(self, tool: str, arguments: dict[str, Any], *, expect_error: bool = False) -> dict[str, Any]:
        self.step += 1
        shown_args = ", ".join(f"{key}={_short(value)}" for key, value in arguments.items())
        print(f"\n[{self.step}] {tool}({shown_args})")
        result = await self.client.call_tool(tool, arguments)
        assert isinstance(result, CallToolResult)
        text = "\n".join(block.text for block in result.content if isinstance(block, TextContent))
        marker = "error:" if result.is_error else "ok:   "
        for number, line in enumerate(text.splitlines() or [""]):
            print(f"    {marker if number == 0 else ' ' * len(marker)} {line}")
        if bool(result.is_error) != expect_error:
            self.failures.append(f"step {self.step} {tool}: {'failed' if result.is_error else 'did not fail'}")
        return dict(result.structured_content or {})


def _short(value: Any) -> str:
    text = str(value)
    if "-----BEGIN" in text:
        return "<PEM>"
    return text if len(text) <= 60 else text[:57] + "..."


def _self_signed_certificate(common_name: str) -> str:
    """An "existing" certificate, as a user would upload: self-signed, P-256, valid 90 days."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=90))
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


async def _walk(workdir: Path) -> list[str]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "frontdoor_mcp", "--sandbox", "--db", str(workdir / "sandbox.db")],
        env={"FRONTDOOR_MCP_KEY_DIR": str(workdir / "keys")},
    )
    (workdir / "keys").mkdir(mode=0o700)
    async with Client(params) as client:
        info = client.server_info
        print(f"Connected to {info.name if info else 'server'} over stdio (protocol {client.protocol_version}).")
        walk = Walk(client)
        csr = await walk.call(
            "generate_csr",
            {"common_name": "demo-client", "organization": "Example Corp", "country": "US", "key_type": "ec-p256"},
        )
        signed_path = workdir / "demo-client.crt.pem"
        created = await walk.call(
            "create_client_certificate_from_csr",
            {"name": "demo-client", "csr_pem": csr.get("csr_pem", ""), "save_certificate_to": str(signed_path)},
        )
        uploaded = await walk.call(
            "upload_client_certificate",
            {"name": "demo-uploaded", "certificate_pem": _self_signed_certificate("demo-uploaded")},
        )
        await walk.call("list_client_certificates", {"sort": "name,asc"})
        created_id = created.get("id", MISSING_ID)
        uploaded_id = uploaded.get("id", MISSING_ID)
        await walk.call("get_client_certificate", {"certificate_id": created_id})
        await walk.call("update_client_certificate", {"certificate_id": created_id, "name": "demo-client-renamed"})
        await walk.call(
            "replace_client_certificate",
            {"certificate_id": uploaded_id, "name": "demo-uploaded-v2", "certificate_path": str(signed_path)},
        )
        await walk.call("delete_client_certificate", {"certificate_id": uploaded_id})
        await walk.call("delete_client_certificate", {"certificate_id": uploaded_id, "confirm": True})
        await walk.call("get_client_certificate", {"certificate_id": MISSING_ID}, expect_error=True)
        await walk.call("inspect_certificate", {"path": str(signed_path)})
        await walk.call("list_client_certificates", {})
        return walk.failures


def run_demo() -> int:
    with tempfile.TemporaryDirectory(prefix="frontdoor-demo-") as directory:
        print("frontdoor-mcp demo: a certificate lifecycle through MCP, against a fresh local sandbox.")
        failures = anyio.run(_walk, Path(directory))
    if failures:
        print("\nDemo FAILED: " + "; ".join(failures))
        return 1
    print("\nDemo complete: every step answered as expected.")
    return 0
