"""The text is enough: a client that shows the model only the text content (mcp-cli does) can walk the whole
lifecycle. Each call's arguments are taken from the text of earlier results, never from structured content."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from mcp import Client
from mcp_types import CallToolResult

from frontdoor_mcp.rules import RESULT_BUDGET_BYTES
from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.server import build_server
from tests.support import connect, sandbox_settings, text_of

pytestmark = pytest.mark.anyio

CERTIFICATE_ID = re.compile(r"certificate_id=(cert-[A-Za-z0-9-]+)")
CSR_PATH = re.compile(r"csr_path=(\S+?\.csr\.pem)")
SAVED_TO = re.compile(r"Saved the certificate to (\S+)\.$", re.MULTILINE)
PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----")


class TextOnly:
    """A model that reads nothing but the text: every result's text is kept, structured content is dropped."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self.texts: list[str] = []

    async def call(self, tool: str, arguments: Mapping[str, object]) -> str:
        result: CallToolResult = await self._client.call_tool(tool, dict(arguments))
        text = text_of(result)
        assert not result.is_error, f"{tool}: {text}"
        assert len(text.encode()) < RESULT_BUDGET_BYTES
        self.texts.append(text)
        return text


def found(pattern: re.Pattern[str], text: str) -> str:
    match = pattern.search(text)
    assert match is not None, f"{pattern.pattern} is not in:\n{text}"
    return match.group(1) if match.groups() else match.group(0)


async def test_a_whole_certificate_lifecycle_from_the_text_alone(sandbox: RunningSandbox, tmp_path: Path) -> None:
    server = build_server(sandbox_settings(sandbox, tmp_path))
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    async with connect(server, "legacy") as client:
        model = TextOnly(client)
        generated = await model.call("generate_csr", {"common_name": "text-only-client"})
        signed = await model.call(
            "create_client_certificate_from_csr",
            {
                "name": "text-only",
                "csr_path": found(CSR_PATH, generated),
                "save_certificate_to": str(out / "text-only.crt.pem"),
            },
        )
        certificate_id = found(CERTIFICATE_ID, signed)
        assert Path(found(SAVED_TO, signed)).read_text().startswith("-----BEGIN CERTIFICATE-----")

        got = await model.call("get_client_certificate", {"certificate_id": certificate_id})
        assert "SHA-256" in got and found(PEM_BLOCK, got)
        await model.call("update_client_certificate", {"certificate_id": certificate_id, "name": "text-only-renamed"})
        listed = await model.call("list_client_certificates", {"name_contains": "renamed"})
        assert found(CERTIFICATE_ID, listed) == certificate_id

        second_csr = await model.call("generate_csr", {"common_name": "text-only-next"})
        second = await model.call(
            "create_client_certificate_from_csr", {"name": "text-only-next", "csr_path": found(CSR_PATH, second_csr)}
        )
        new_pem = found(PEM_BLOCK, second)
        replace = {"certificate_id": certificate_id, "name": "text-only-replaced", "certificate_pem": new_pem}
        asked = await model.call("replace_client_certificate", replace)
        assert "confirm=true" in asked and "Now:" in asked and "New:" in asked
        replaced = await model.call("replace_client_certificate", {**replace, "confirm": True})
        assert "CN=text-only-next" in replaced

        not_yet = await model.call("delete_client_certificate", {"certificate_id": certificate_id})
        assert "confirm=true" in not_yet and '"text-only-replaced"' in not_yet
        deleted = await model.call("delete_client_certificate", {"certificate_id": certificate_id, "confirm": True})
        assert "Deleted" in deleted
        audit = await model.call("find_expiring_client_certificates", {"within_days": 400})
        assert "certificate_id=" in audit
