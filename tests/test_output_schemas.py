"""The output schemas: portable (no `type` arrays, no `anyOf` where one type does; a value that may be null is
an optional property instead, left out of the result when null), and every tool's structured result valid
against the schema `tools/list` publishes for it (JSON Schema 2020-12, formats checked)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, cast

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from mcp_types import CallToolResult

from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.server import build_server
from frontdoor_mcp.toolkit.catalog import catalog
from frontdoor_mcp.toolkit.schemas import lean_output_schema, without_nulls
from frontdoor_mcp.tools import ALL_TOOLS
from tests.support import connect, make_certificate, make_csr, sandbox_settings

pytestmark = pytest.mark.anyio

NULL: Final = {"type": "null"}


def portability_problems(node: Any, path: str = "") -> list[str]:
    """What MCP Inspector's --strict mode warns about (a `type` array), and an `anyOf` arm that is only null."""
    problems: list[str] = []
    if isinstance(node, dict):
        schema = cast(dict[str, Any], node)
        if isinstance(schema.get("type"), list):
            problems.append(f"{path}: type array")
        if NULL in schema.get("anyOf", ()):
            problems.append(f"{path}: a null arm")
        for key, value in schema.items():
            problems.extend(portability_problems(value, f"{path}.{key}"))
    elif isinstance(node, list):
        for index, item in enumerate(cast(list[Any], node)):
            problems.extend(portability_problems(item, f"{path}[{index}]"))
    return problems


def test_published_schemas_have_no_type_arrays_and_no_null_arms() -> None:
    for entry in catalog():
        assert entry.tool.output_schema is not None, f"{entry.name}: an output schema is kept"
        assert not portability_problems(entry.tool.output_schema, entry.name)
        assert not portability_problems(entry.tool.input_schema, entry.name)


def test_a_nullable_property_becomes_optional_and_its_null_is_left_out() -> None:
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "next_page": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None},
            "either": {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]},
            "items": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
            "labels": {"type": "object", "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
        },
        "required": ["id", "next_page", "either"],
    }
    assert lean_output_schema(schema) == {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "next_page": {"type": "integer"},
            "either": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "items": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "required": ["id"],
    }
    sent = without_nulls({"id": "a", "next_page": None, "items": ["x", None], "labels": {"k": None, "j": "v"}})
    assert sent == {"id": "a", "items": ["x", None], "labels": {"j": "v"}}
    assert not list(Draft202012Validator(lean_output_schema(schema)).iter_errors({**sent, "either": 1}))  # pyright: ignore[reportUnknownMemberType]


class Validating:
    """Calls tools and checks each structured result against the published output schema."""

    def __init__(self, schemas: dict[str, dict[str, Any]]) -> None:
        self.validators = {
            name: Draft202012Validator(schema, format_checker=FormatChecker()) for name, schema in schemas.items()
        }
        self.called: set[str] = set()
        self.nulls_left_out = 0

    def check(self, tool: str, result: CallToolResult) -> dict[str, Any]:
        assert not result.is_error, (tool, result.content)
        content = result.structured_content
        assert content is not None, tool
        found = self.validators[tool].iter_errors(content)  # pyright: ignore[reportUnknownMemberType]
        errors = [error.message for error in found]
        assert not errors, f"{tool}: {errors[:3]}"
        assert "null" not in _object_values(content), f"{tool}: a null member was sent"
        self.called.add(tool)
        return dict(content)


def _object_values(node: Any) -> str:
    """The JSON of every object member's value (not list items), to find a null one."""
    if isinstance(node, dict):
        members = cast(dict[str, Any], node)
        return " ".join(("null" if value is None else _object_values(value)) for value in members.values())
    if isinstance(node, list):
        return " ".join(_object_values(item) for item in cast(list[Any], node) if isinstance(item, dict | list))
    return ""


async def test_every_tools_structured_result_validates_against_its_published_schema(
    sandbox: RunningSandbox, tmp_path: Path, era: str
) -> None:
    """One walk through every tool, sparse results (nothing found, masked, unsaved) and full ones alike."""
    saved = tmp_path / "saved"
    saved.mkdir(mode=0o700)
    async with connect(build_server(sandbox_settings(sandbox, tmp_path)), era) as client:
        schemas = {tool.name: tool.output_schema or {} for tool in (await client.list_tools()).tools}
        walk = Validating(schemas)

        async def call(tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
            return walk.check(tool, await client.call_tool(tool, arguments))

        await call("list_client_certificates", {})
        await call("find_expiring_client_certificates", {})
        csr = await call("generate_csr", {"common_name": "schema-client", "organization": "Example"})
        created = await call(
            "create_client_certificate_from_csr",
            {"name": "schema-signed", "csr_pem": csr["csr_pem"], "save_certificate_to": str(saved / "s.pem")},
        )
        uploaded = await call("upload_client_certificate", {"name": "schema-up", "certificate_pem": make_certificate()})
        await call("get_client_certificate", {"certificate_id": created["id"]})
        await call("inspect_certificate", {"pem": created["certificate_pem"]})
        await call("inspect_certificate", {"pem": make_csr()[0]})
        await call("list_client_certificates", {"all_pages": True, "name_contains": "schema"})
        await call("list_client_certificates", {"size": 1})
        await call("update_client_certificate", {"certificate_id": uploaded["id"], "name": "schema-renamed"})
        swap = {"certificate_id": uploaded["id"], "name": "schema-swapped", "certificate_pem": make_certificate()}
        await call("replace_client_certificate", swap)
        await call("replace_client_certificate", swap | {"confirm": True})
        await call("update_client_certificate", swap | {"certificate_pem": make_certificate()})
        share = sandbox.add_share("schemaShare", client_certificate_id=created["id"], allowed_subjects=["CN=x"])
        sandbox.add_share("plainShare")
        await call("list_shares", {})
        await call("list_shares", {"all_pages": True, "uses_certificate_id": created["id"]})
        await call("get_share", {"share_id": share.id})
        await call("check_certificate_against_share", {"share_id": share.id, "certificate_pem": make_certificate()})
        signed, key = str(saved / "s.pem"), csr["key_path"]
        await call("inspect_certificate", {"path": signed, "key_path": key})
        server_ca = tmp_path / "sandbox-ca.pem"
        server_ca.write_text(sandbox.ca_certificate_pem)
        tls = {"certificate_path": signed, "key_path": key, "ca_path": str(server_ca)}
        await call("test_mtls_connection", tls | {"share_id": share.id})  # refused: serverAuth only, a full result
        await call("test_mtls_connection", tls | {"address": "127.0.0.1:1"})  # no TCP: a sparse one
        await call(
            "export_client_credential",
            {"key_path": key, "target_path": str(saved / "c.p12"), "certificate_id": created["id"]},
        )
        await call(
            "export_client_credential",
            {"key_path": key, "target_path": str(saved / "c.pem"), "certificate_path": signed, "format": "pem-bundle"},
        )
        token = await call("create_certificate_request_token", {"name": "schema-token", "organizational_unit": "ops"})
        await call("create_certificate_request_token", {"name": "schema-saved", "save_token_to": str(saved / "t")})
        await call("list_certificate_request_tokens", {})
        await call("list_certificate_request_tokens", {"all_pages": True})
        await call("get_certificate_request_token", {"token_id": token["id"]})
        await call("get_certificate_request_token", {"token_id": token["id"], "reveal": True})
        await call("update_certificate_request_token", {"token_id": token["id"], "common_name": "schema-cn"})
        await call(
            "redeem_certificate_request_token",
            {"token": token["token"], "key_type": "ec-p256", "common_name": "schema-redeemer"},
        )
        spare = await call("create_certificate_request_token", {"name": "schema-spare"})
        await call("revoke_certificate_request_token", {"token_id": spare["id"]})
        await call("revoke_certificate_request_token", {"token_id": spare["id"], "confirm": True})
        await call("find_expiring_client_certificates", {"within_days": 400})
        await call("delete_client_certificate", {"certificate_id": uploaded["id"]})
        await call("delete_client_certificate", {"certificate_id": uploaded["id"], "confirm": True})
    missing = sorted({tool.name for tool in ALL_TOOLS} - walk.called)
    assert not missing, f"add a call of {missing} to this walk: its output schema is otherwise unchecked"
