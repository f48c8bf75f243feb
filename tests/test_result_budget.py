"""Every result fits a model's context: at most RESULT_BUDGET_BYTES of JSON (text and structured content). Past
it, a result keeps the first items that fit, the totals of everything, and says how to narrow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp_types import CallToolResult

from frontdoor_mcp.api.auth import BearerToken, Secret
from frontdoor_mcp.api.client import FrontdoorClient
from frontdoor_mcp.rules import RESULT_BUDGET_BYTES
from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.toolkit.state import SILENT, AppState
from frontdoor_mcp.tools.expiry import find_expiring_client_certificates
from tests.support import connect, make_certificate, ok, sandbox_settings, text_of

pytestmark = pytest.mark.anyio


def size_of(result: CallToolResult) -> int:
    return len(json.dumps(text_of(result)).encode()) + len(json.dumps(result.structured_content).encode())


@pytest.fixture(scope="module")
def crowded(module_sandbox: RunningSandbox) -> RunningSandbox:
    """A frontdoor of 10,000 certificates and 50 newer ones named apart: 50 past the most one walk reads (which
    reads newest first)."""
    module_sandbox.seed_certificates(10_000, name_prefix="bulk")
    module_sandbox.seed_certificates(50, name_prefix="needle")
    return module_sandbox


async def test_ten_thousand_certificates_fit_with_totals_and_a_way_to_narrow(
    crowded: RunningSandbox, tmp_path: Path
) -> None:
    from frontdoor_mcp.server import build_server

    server = build_server(sandbox_settings(crowded, tmp_path))
    async with connect(server, "legacy") as client:
        everything = await client.call_tool("list_client_certificates", {"all_pages": True})
        needles = await client.call_tool("list_client_certificates", {"name_contains": "NEEDLE"})
        one_page = await client.call_tool("list_client_certificates", {"size": 2000})
    largest = ok(one_page)  # a page of the largest size asked for is more than one result holds too
    assert size_of(one_page) <= RESULT_BUDGET_BYTES and largest["matching"] == 2000 and largest["truncated"] is True
    assert 0 < len(largest["items"]) < 2000 and largest["next_page"] == 1
    assert f"Only the first {len(largest['items'])} fit in one result." in text_of(one_page)
    listed = ok(everything)
    assert size_of(everything) <= RESULT_BUDGET_BYTES
    assert (listed["total_elements"] == 10_050 and listed["matching"] == 10_000) or listed["matching"] == 10_000
    assert listed["truncated"] is True and 0 < len(listed["items"]) < listed["matching"]
    assert "name_contains" in listed["how_to_narrow"] and "name_contains" in text_of(everything)
    narrowed = ok(needles)
    assert narrowed["matching"] == 50 and len(narrowed["items"]) == 50 and narrowed["truncated"] is False
    assert all("needle" in item["name"] for item in narrowed["items"])


async def test_the_audit_counts_everything_and_details_the_most_urgent_that_fit(sandbox: RunningSandbox) -> None:
    expiring_soon = make_certificate("soon", days=3)
    sandbox.seed_certificates(300, value=expiring_soon, name_prefix="soon")
    async with FrontdoorClient(sandbox.base_url, BearerToken(Secret(sandbox.token), source="test")) as client:
        state = AppState(client, sandbox.frontdoor_id, None, "test", result_budget=20_000)
        answer = await find_expiring_client_certificates(state, SILENT)
    report = answer.result
    assert report.checked == 300 and report.expiring_count == 300 and report.expired_count == 0
    assert report.details_truncated and 0 < len(report.expiring) < 300
    assert len(report.model_dump_json()) + len(answer.text) <= 20_000
    assert "300 expire within 30 days" in answer.text
