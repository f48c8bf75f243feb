"""The MCP prompts (from prompts/*.md) and the certificate PEM resource template, through a real client
session in both protocol eras; and the prompts packaged into the wheel."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, TextContent, TextResourceContents

from frontdoor_mcp.config import Settings
from frontdoor_mcp.prompt_library import load_prompts, offered_prompts
from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.server import FrontdoorServer, build_server
from frontdoor_mcp.toolkit.definition import offered
from frontdoor_mcp.tools import ALL_TOOLS
from tests.support import connect, make_certificate, ok

pytestmark = pytest.mark.anyio

PROJECT = Path(__file__).resolve().parents[1]
TEMPLATE = "frontdoor://{frontdoor_id}/client-certificates/{certificate_id}.pem"
FRONTDOOR = "3d6d2b6e-6c7a-4a7f-8c3d-9a9d2e1f0b1c"

EXPECTED_ARGUMENTS = {
    "rotate-client-certificate": [("certificate_id", True), ("frontdoor_id", False)],
    "onboard-mtls-client": [("client_name", True), ("frontdoor_id", False)],
    "audit-client-certificates": [("within_days", False), ("frontdoor_id", False)],
    "delegate-client-certificate": [("recipient", True), ("name", True), ("frontdoor_id", False)],
    "redeem-certificate-request-token": [("common_name", True), ("frontdoor_id", False)],
    "connect-through-share": [
        ("share_id", True),
        ("certificate_path", True),
        ("key_path", True),
        ("frontdoor_id", False),
    ],
}
FULL_ARGUMENTS = {
    "rotate-client-certificate": {
        "certificate_id": "cert-11111111-2222-4333-8444-555555555555",
        "frontdoor_id": FRONTDOOR,
    },
    "onboard-mtls-client": {"client_name": "api-client-prod", "frontdoor_id": FRONTDOOR},
    "audit-client-certificates": {"within_days": "14", "frontdoor_id": FRONTDOOR},
    "delegate-client-certificate": {
        "recipient": "the payments team",
        "name": "payments-prod",
        "frontdoor_id": FRONTDOOR,
    },
    "redeem-certificate-request-token": {"common_name": "payments-client", "frontdoor_id": FRONTDOOR},
    "connect-through-share": {
        "share_id": "a6f3c1d2-6b7e-4c8d-9e0f-1a2b3c4d5e6f",
        "certificate_path": "/home/me/client.pem",
        "key_path": "/home/me/client.key",
        "frontdoor_id": FRONTDOOR,
    },
}


@pytest.fixture
def offline_server() -> FrontdoorServer:
    """Prompts and templates need no API: a server that would never reach one."""
    return build_server(Settings(api_url="https://frontdoor.invalid/frontdoor"))


async def test_prompts_list_shows_each_with_its_arguments(offline_server: FrontdoorServer, era: str) -> None:
    async with connect(offline_server, era) as client:
        listed = (await client.list_prompts()).prompts
    by_name = {prompt.name: prompt for prompt in listed}
    assert set(by_name) == set(EXPECTED_ARGUMENTS)
    for name, expected in EXPECTED_ARGUMENTS.items():
        prompt = by_name[name]
        assert prompt.title and prompt.description
        assert [(arg.name, arg.required) for arg in prompt.arguments or []] == expected
        assert all(arg.description for arg in prompt.arguments or [])


async def test_prompts_get_renders_each_with_its_arguments(offline_server: FrontdoorServer, era: str) -> None:
    descriptions = {prompt.name: prompt.description for prompt in load_prompts()}
    async with connect(offline_server, era) as client:
        for name, arguments in FULL_ARGUMENTS.items():
            result = await client.get_prompt(name, arguments)
            assert len(result.messages) == 1 and result.messages[0].role == "user"
            content = result.messages[0].content
            assert isinstance(content, TextContent)
            for value in arguments.values():
                assert value in content.text
            for argument, _ in EXPECTED_ARGUMENTS[name]:
                assert "{" + argument + "}" not in content.text, "every placeholder is substituted"
            assert result.description == descriptions[name]


async def test_read_only_serves_no_prompt_that_walks_through_write_tools(era: str) -> None:
    server = build_server(Settings(api_url="https://frontdoor.invalid/frontdoor", read_only=True))
    async with connect(server, era) as client:
        names = {prompt.name for prompt in (await client.list_prompts()).prompts}
    assert names == {"audit-client-certificates"}


async def test_a_remote_server_serves_no_prompt_that_uses_local_files(era: str) -> None:
    server = build_server(Settings(api_url="https://frontdoor.invalid/frontdoor"), remote=True)
    async with connect(server, era) as client:
        names = {prompt.name for prompt in (await client.list_prompts()).prompts}
    assert names == {"audit-client-certificates", "delegate-client-certificate"}


async def test_optional_arguments_get_a_sensible_default(offline_server: FrontdoorServer) -> None:
    async with connect(offline_server, "legacy") as client:
        audit = await client.get_prompt("audit-client-certificates", {})
        onboard = await client.get_prompt("onboard-mtls-client", {"client_name": "{frontdoor_id}"})
    audit_text = audit.messages[0].content
    onboard_text = onboard.messages[0].content
    assert isinstance(audit_text, TextContent) and isinstance(onboard_text, TextContent)
    assert "within_days=30" in audit_text.text and "(the configured FRONTDOOR_ID)" in audit_text.text
    assert 'mTLS client "{frontdoor_id}"' in onboard_text.text, "a value is inserted as is, never expanded again"


async def test_a_missing_required_argument_is_invalid_params_by_name(offline_server: FrontdoorServer, era: str) -> None:
    async with connect(offline_server, era) as client:
        for name, missing in (("rotate-client-certificate", "certificate_id"), ("onboard-mtls-client", "client_name")):
            with pytest.raises(MCPError) as raised:
                await client.get_prompt(name, {"frontdoor_id": FRONTDOOR})
            assert raised.value.code == INVALID_PARAMS
            assert missing in raised.value.message


async def test_resource_template_is_listed(offline_server: FrontdoorServer, era: str) -> None:
    async with connect(offline_server, era) as client:
        templates = (await client.list_resource_templates()).resource_templates
    assert [(t.uri_template, t.mime_type, t.name) for t in templates] == [
        (TEMPLATE, "application/x-pem-file", "client-certificate-pem")
    ]


async def test_resource_read_returns_the_pem(server: FrontdoorServer, era: str, sandbox: RunningSandbox) -> None:
    pem = make_certificate("resource-client")
    async with connect(server, era) as client:
        uploaded = ok(await client.call_tool("upload_client_certificate", {"name": "res", "certificate_pem": pem}))
        uri = TEMPLATE.format(frontdoor_id=sandbox.frontdoor_id, certificate_id=uploaded["id"])
        result = await client.read_resource(uri)
    assert len(result.contents) == 1
    content = result.contents[0]
    assert isinstance(content, TextResourceContents)
    assert content.text.strip() == pem.strip() and content.mime_type == "application/x-pem-file"
    assert str(content.uri) == uri


async def test_resource_read_of_an_unknown_id_is_not_found(
    server: FrontdoorServer, era: str, sandbox: RunningSandbox
) -> None:
    async with connect(server, era) as client:
        for certificate_id, expected in (
            ("cert-00000000-0000-4000-8000-000000000000", "was not found"),
            ("not-a-certificate-id", "certificate_id must look like cert-"),
        ):
            uri = TEMPLATE.format(frontdoor_id=sandbox.frontdoor_id, certificate_id=certificate_id)
            with pytest.raises(MCPError) as raised:
                await client.read_resource(uri)
            assert raised.value.code == INVALID_PARAMS
            assert expected in raised.value.message


async def test_resource_read_of_a_frontdoor_not_permitted_explains(
    server: FrontdoorServer, sandbox: RunningSandbox
) -> None:
    other = sandbox.add_frontdoor()
    uri = TEMPLATE.format(frontdoor_id=other, certificate_id="cert-00000000-0000-4000-8000-000000000000")
    async with connect(server, "legacy") as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource(uri)
    assert f"cannot use frontdoor {other}" in raised.value.message


@pytest.mark.parametrize(("read_only", "remote"), [(False, False), (True, False), (False, True)])
def test_every_tool_a_prompt_tells_the_model_to_call_is_offered_wherever_the_prompt_is(
    read_only: bool, remote: bool
) -> None:
    """Read from the text as a model reads it ("call X"), not through the server's own `tools_named`: a prompt
    that sent the model to a tool the session lacks would leave it looking for one."""
    tools = {tool.name for tool in offered(ALL_TOOLS, read_only=read_only, remote=remote)}
    listed = offered_prompts(
        offered_tools=tools, all_tools=[tool.name for tool in ALL_TOOLS], read_only=read_only, remote=remote
    )
    for prompt in listed:
        called = set(re.findall(r"\b[Cc]all ([a-z]+(?:_[a-z0-9]+)+)", prompt.body))
        assert called, prompt.name
        assert called <= tools, (prompt.name, sorted(called - tools))
