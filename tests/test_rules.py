"""Each shared rule has one home (`frontdoor_mcp.rules`, `frontdoor_mcp.redaction`), and every layer that
applies it applies the same value: checked at the boundary, on both sides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest

from frontdoor_mcp import rules
from frontdoor_mcp.api.http import DEFAULT_TIMEOUT
from frontdoor_mcp.api.models import CertificateSummary
from frontdoor_mcp.pki import csr, pem, policy
from frontdoor_mcp.pki.files import LocalFileError, check_new_file
from frontdoor_mcp.redaction import KNOWN_SECRETS, mask_token, redact
from frontdoor_mcp.toolkit import failures as messages
from frontdoor_mcp.toolkit.adapter import built_tool
from frontdoor_mcp.tools import ALL_TOOLS
from tests.support import make_certificate


def _schema(tool: str) -> dict[str, Any]:
    definition = next(definition for definition in ALL_TOOLS if definition.name == tool)
    return built_tool(definition).parameters


def _argument(tool: str, name: str) -> dict[str, Any]:
    schema = _schema(tool)["properties"][name]
    # An optional argument is `anyOf: [{...}, {"type": "null"}]`.
    return next((arm for arm in schema.get("anyOf", []) if arm.get("type") != "null"), schema)


@pytest.mark.parametrize(("days", "soon"), [(-1, False), (0, True), (29, True), (30, True), (31, False)])
def test_the_expiry_window_includes_its_last_day(days: int, soon: bool) -> None:
    assert rules.expires_soon(days) is soon


def test_the_upload_policy_and_the_records_warn_on_the_same_day() -> None:
    now = datetime.now(UTC)
    at_edge = policy.check_certificate(make_certificate(days=31), now=now + timedelta(days=1, minutes=-1))
    beyond = policy.check_certificate(make_certificate(days=31), now=now - timedelta(minutes=1))
    assert at_edge.details.days_remaining == rules.EXPIRY_WARNING_DAYS and at_edge.warnings
    assert beyond.details.days_remaining == rules.EXPIRY_WARNING_DAYS + 1 and not beyond.warnings


def test_one_name_length_for_arguments_and_for_what_the_api_returns() -> None:
    assert _argument("upload_client_certificate", "name")["maxLength"] == rules.NAME_MAX_CHARS
    assert _argument("update_client_certificate", "name")["maxLength"] == rules.NAME_MAX_CHARS
    long_name = "n" * (rules.NAME_MAX_CHARS + 40)
    item = CertificateSummary.model_validate({"id": "cert-1", "name": long_name, "frontdoorId": "f"})
    assert len(item.name) == rules.NAME_MAX_CHARS


def test_one_pem_cap_for_arguments_files_and_the_policy() -> None:
    assert pem.MAX_PEM_BYTES == policy.MAX_PEM_BYTES == rules.PEM_MAX_BYTES
    assert _argument("upload_client_certificate", "certificate_pem")["maxLength"] == rules.PEM_MAX_BYTES
    assert _argument("inspect_certificate", "pem")["maxLength"] == rules.PEM_MAX_BYTES


def test_sort_orders_and_key_types_are_the_same_literals_everywhere() -> None:
    assert _argument("list_client_certificates", "sort")["enum"] == list(rules.SORT_ORDERS)
    assert _argument("generate_csr", "key_type")["enum"] == list(rules.KEY_TYPES)
    assert csr.KEY_TYPES == rules.KEY_TYPES and get_args(csr.KeyType) == rules.KEY_TYPES


def test_the_api_waits_as_long_as_the_gateway() -> None:
    assert DEFAULT_TIMEOUT.read == rules.API_TIMEOUT_S and DEFAULT_TIMEOUT.connect == rules.API_CONNECT_TIMEOUT_S


@pytest.mark.parametrize(("skew", "reported"), [(59.0, False), (61.0, True)])
def test_clock_skew_is_reported_past_one_threshold(skew: float, reported: bool) -> None:
    now = datetime.now(UTC)
    measured = messages.clock_skew_seconds(now - timedelta(seconds=skew), now=now)
    assert measured is not None and (abs(measured) > rules.CLOCK_SKEW_THRESHOLD_S) is reported


def test_the_no_overwrite_rule_is_one_check(tmp_path: Path) -> None:
    taken = tmp_path / "taken.pem"
    taken.write_text("x")
    dangling = tmp_path / "dangling.pem"
    dangling.symlink_to(tmp_path / "nowhere")
    for path in (taken, dangling):
        with pytest.raises(LocalFileError, match="never overwritten"):
            check_new_file(path)
    with pytest.raises(LocalFileError, match="does not exist"):
        check_new_file(tmp_path / "no-such-folder" / "x.pem")
    assert check_new_file(tmp_path / "new.pem").path == tmp_path / "new.pem"


def test_redaction_patterns_and_known_secrets_live_in_one_place() -> None:
    KNOWN_SECRETS.add("plain-secret-without-shape")
    text = redact(
        "a plain-secret-without-shape, Bearer abc123def456, eyJa.eyJb.c, password=hunter22, crt_1234567890abcdef; "
        "Bearer token is missing or invalid"
    )
    for secret in ("plain-secret-without-shape", "abc123def456", "eyJa.eyJb.c", "hunter22", "crt_1234567890abcdef"):
        assert secret not in text
    assert "Bearer token is missing or invalid" in text
    assert mask_token("crt_1234567890abcdef") == "crt_…cdef"
