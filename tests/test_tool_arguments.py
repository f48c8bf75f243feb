"""Arguments are strict, and every refusal is a sentence: for every tool, through the protocol.

An unknown argument is refused by name with the accepted names; nothing is coerced (`"yes"` is not true,
`true` is not 1, `"5"` is not 5); names refuse invisible characters by position; our wording comes through
the SDK's middleware seam (never the SDK's own, which quotes the input); and arbitrary JSON arguments end in
a clear error or a valid result, never the SDK's generic "Error executing tool".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp_types import Tool

from frontdoor_mcp.api import ids
from frontdoor_mcp.server import FrontdoorServer, build_server
from frontdoor_mcp.toolkit.adapter import built_tool
from frontdoor_mcp.toolkit.argument_gate import ArgumentGate, argument_problems
from frontdoor_mcp.tools import ALL_TOOLS
from tests.support import SEEDED, Harness, assert_answered, connect, is_crash, mock_settings, text_of

pytestmark = pytest.mark.anyio

CANARY: Final = "canary-argument-value-93c1"
EXAMPLES: Final = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
)
TOOL_NAMES: Final = [tool.name for tool in ALL_TOOLS]


@pytest.fixture(scope="module")
def tools(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Tool]:
    async def listed() -> dict[str, Tool]:
        server = build_server(mock_settings(tmp_path_factory.mktemp("tools")))
        async with connect(server, "legacy") as client:
            return {tool.name: tool for tool in (await client.list_tools()).tools}

    return anyio.run(listed)


def test_every_input_schema_forbids_unknown_arguments(tools: dict[str, Tool]) -> None:
    assert set(tools) == set(TOOL_NAMES)
    for tool in tools.values():
        assert tool.input_schema.get("additionalProperties") is False, tool.name


def test_the_argument_gate_is_in_the_server(tmp_path: Path) -> None:
    """Our wording reaches the model only if our middleware runs before the SDK validates."""
    server = build_server(mock_settings(tmp_path))
    assert any(isinstance(middleware, ArgumentGate) for middleware in server.middleware)


EXAMPLE_VALUES: Final[dict[str, Any]] = {
    # By argument name, the project's shared vocabulary: a value each such argument's schema accepts.
    "certificate_id": SEEDED,
    "token_id": "token-1",
    "share_id": "shr-1",
    "token": "crt_0123456789abcdef",
    "address": "127.0.0.1:2100",
}


def _minimal(tool: Tool) -> dict[str, Any]:
    """Arguments that pass the tool's schema: its required ones, each given a value of its type (what happens
    next is not this file's business). Derived from the schema, so a new tool needs nothing here."""
    properties: dict[str, dict[str, Any]] = tool.input_schema.get("properties", {})
    required: list[str] = tool.input_schema.get("required", [])
    return {name: EXAMPLE_VALUES.get(name, _of_type(properties[name])) for name in required}


def _of_type(schema: dict[str, Any]) -> Any:
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    assert kind == "string" and "pattern" not in schema, f"give {schema} an example in EXAMPLE_VALUES"
    return "x"


async def _call(server: FrontdoorServer, tool: str, arguments: dict[str, Any]) -> str:
    async with connect(server, "legacy") as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error, f"{tool} accepted {arguments}"
    return text_of(result)


@pytest.mark.parametrize("tool", TOOL_NAMES)
async def test_an_unknown_argument_is_refused_by_name_with_the_accepted_names(
    tool: str, tools: dict[str, Tool], tmp_path: Path
) -> None:
    server = build_server(mock_settings(tmp_path))
    text = await _call(server, tool, {**_minimal(tools[tool]), "confrim": CANARY})
    assert text.startswith(f"Invalid arguments for {tool}: confrim: is not an argument of this tool")
    for accepted in tools[tool].input_schema["properties"]:
        assert accepted in text
    assert CANARY not in text and "Nothing was done" in text


def _typed_arguments(tools: dict[str, Tool]) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for tool in TOOL_NAMES:
        for name, schema in tools[tool].input_schema["properties"].items():
            kinds = {arm.get("type") for arm in schema.get("anyOf", [schema])}
            for kind in ("boolean", "integer"):
                if kind in kinds:
                    found.append((tool, name, kind))
    return found


async def test_booleans_and_integers_take_only_json_booleans_and_integers(
    tools: dict[str, Tool], tmp_path: Path
) -> None:
    server = build_server(mock_settings(tmp_path))
    typed = _typed_arguments(tools)
    assert {argument for _, argument, _ in typed} >= {
        "confirm",
        "all_pages",
        "page",
        "size",
        "within_days",
        "reveal",
        "valid_years",
    }
    for tool, argument, kind in typed:
        wrong: list[object] = ["true", "yes", 1] if kind == "boolean" else ["5", True, 5.5]
        for value in wrong:
            text = await _call(server, tool, {**_minimal(tools[tool]), argument: value})
            assert f"Invalid arguments for {tool}: {argument}:" in text, (tool, argument, value, text)


@pytest.mark.parametrize(
    ("char", "what"),
    [
        ("\u009b", "C1 control (a terminal's CSI)"),
        ("\u202e", "bidi override"),
        ("\u2066", "bidi isolate"),
        ("\u200b", "zero-width space"),
        ("\u2028", "line separator"),
        ("\u2029", "paragraph separator"),
        ("\x07", "C0 control"),
    ],
)
async def test_names_refuse_invisible_characters_saying_where(char: str, what: str, tmp_path: Path) -> None:
    server = build_server(mock_settings(tmp_path))
    name = f"prod{char}x"
    for tool, arguments in (
        ("upload_client_certificate", {"name": name, "certificate_pem": "x"}),
        ("update_client_certificate", {"certificate_id": SEEDED, "name": name}),
        ("generate_csr", {"common_name": name}),
    ):
        text = await _call(server, tool, arguments)
        assert "Invalid arguments" in text and char not in text, what
        assert f"character 5 is U+{ord(char):04X}" in text or "pattern" in text, text


JSON: Final = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Any:
    running = Harness(tmp_path_factory.mktemp("arguments"), "legacy")
    yield running
    running.close()


@EXAMPLES
@given(
    tool=st.sampled_from(TOOL_NAMES),
    data=st.data(),
)
def test_arbitrary_json_arguments_end_in_a_clear_error_or_a_valid_result(
    harness: Harness, tools: dict[str, Tool], tool: str, data: st.DataObject
) -> None:
    base = _minimal(tools[tool])
    names = [*base, "frontdoor_id", "name", "certificate_pem", "page", "confirm", "all_pages", "key_path"]
    arguments = {**base, **data.draw(st.dictionaries(st.sampled_from(names) | st.text(max_size=8), JSON, max_size=4))}
    result, _ = harness.call(tool, arguments)
    assert_answered(result, tool)
    assert not is_crash(result)


ID_ARGUMENTS: Final = {
    # argument: (a valid value, its validator in api.ids). A trailing newline makes each invalid: ids are matched
    # whole, where Python's `$` alone would let one through.
    "certificate_id": (SEEDED, ids.validate_certificate_id),
    "frontdoor_id": ("3d6d2b6e-6c7a-4a7f-8c3d-9a9d2e1f0b1c", ids.validate_frontdoor_id),
    "token_id": ("token-123e4567-e89b-12d3-a456-426614174000", ids.validate_token_id),
    "share_id": ("shr-1", ids.validate_share_id),
    "token": ("crt_0123456789abcdef", ids.validate_request_token),
}


@pytest.mark.parametrize("argument", sorted(ID_ARGUMENTS))
def test_an_id_with_a_trailing_newline_is_refused_wherever_it_is_taken(argument: str) -> None:
    valid, validate = ID_ARGUMENTS[argument]
    assert validate(valid)
    for bad in (valid + "\n", valid + "\r\n", "\n" + valid):
        with pytest.raises(ids.InvalidIdError):
            validate(bad)
    models = {tool.name: built_tool(tool).fn_metadata.arg_model for tool in ALL_TOOLS}
    takers = [name for name, model in models.items() if argument in model.model_fields]
    assert takers, argument
    for name in takers:
        problems = argument_problems(models[name], {argument: valid + "\n"})
        assert any(problem.startswith(f"{argument}:") for problem in problems), (name, problems)
