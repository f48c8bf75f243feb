"""Settings that cannot be understood: every problem found at once, each naming its variable; the stdio server
still answers (the problems in its instructions and as the answer to every call, no write tool, nothing sent);
`check-config` and `doctor` exit 2 for scripts; `frontdoor-mcp http` refuses to start."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Final

import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError

from frontdoor_mcp import cli
from frontdoor_mcp.config import ConfigError, Settings, describe_problems, load_settings
from frontdoor_mcp.server import build_server
from frontdoor_mcp.toolkit.catalog import catalog
from tests.support import FRONTDOOR, connect, text_of

pytestmark = pytest.mark.anyio

PASSWORD_CANARY: Final = "canary-password-3e1f9a7b"

BAD_SETTINGS: Final[dict[str, tuple[dict[str, str], str]]] = {
    # kind: (environment, the variable the problem names)
    "junk boolean": ({"FRONTDOOR_MCP_READ_ONLY": "y"}, "FRONTDOOR_MCP_READ_ONLY"),
    "plain-http URL": ({"FRONTDOOR_API_URL": "http://gateway.example.test/frontdoor"}, "FRONTDOOR_API_URL"),
    "not a URL": ({"FRONTDOOR_API_URL": "gateway.example.test"}, "FRONTDOOR_API_URL"),
    "bad FRONTDOOR_ID": ({"FRONTDOOR_ID": "my-frontdoor"}, "FRONTDOOR_ID"),
    "bad log level": ({"FRONTDOOR_MCP_LOG_LEVEL": "verbose"}, "FRONTDOOR_MCP_LOG_LEVEL"),
    "unknown toolset": ({"FRONTDOOR_MCP_TOOLSETS": "certificates,audit"}, "FRONTDOOR_MCP_TOOLSETS"),
    "empty toolset entry": ({"FRONTDOOR_MCP_TOOLSETS": "certificates,,local"}, "FRONTDOOR_MCP_TOOLSETS"),
    "incomplete client credentials": (
        {"NETFOUNDRY_CLIENT_ID": "client-1", "NETFOUNDRY_PASSWORD": PASSWORD_CANARY},
        "NETFOUNDRY_OAUTH_URL",
    ),
    "plain-http token URL": (
        {
            "NETFOUNDRY_CLIENT_ID": "client-1",
            "NETFOUNDRY_PASSWORD": PASSWORD_CANARY,
            "NETFOUNDRY_OAUTH_URL": "http://auth.example.test/oauth2/token",
        },
        "NETFOUNDRY_OAUTH_URL",
    ),
    "credentials file missing": ({"NETFOUNDRY_API_ACCOUNT": "{tmp}/nowhere/c.json"}, "NETFOUNDRY_API_ACCOUNT"),
    "credentials file unreadable": ({"NETFOUNDRY_API_ACCOUNT": "{tmp}"}, "NETFOUNDRY_API_ACCOUNT"),
    "credentials file not JSON": ({"NETFOUNDRY_API_ACCOUNT": "{tmp}/garbled.json"}, "NETFOUNDRY_API_ACCOUNT"),
    "credentials file lacks fields": ({"NETFOUNDRY_API_ACCOUNT": "{tmp}/partial.json"}, "NETFOUNDRY_API_ACCOUNT"),
}


def environment(kind: str, tmp_path: Path) -> tuple[dict[str, str], str]:
    (tmp_path / "garbled.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "partial.json").write_text(json.dumps({"clientId": "c", "password": PASSWORD_CANARY}), "utf-8")
    env, variable = BAD_SETTINGS[kind]
    return {name: value.replace("{tmp}", str(tmp_path)) for name, value in env.items()}, variable


def fallback(env: dict[str, str], tmp_path: Path) -> Settings:
    with pytest.raises(ConfigError) as caught:
        load_settings(env, cwd=tmp_path, home=tmp_path)
    assert caught.value.fallback is not None
    return caught.value.fallback


def recording_transport(sent: list[httpx2.Request]) -> httpx2.MockTransport:
    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(500)

    return httpx2.MockTransport(handler)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    env = {
        "FRONTDOOR_MCP_READ_ONLY": "maybe",
        "FRONTDOOR_API_URL": "ftp://gateway.example.test",
        "FRONTDOOR_ID": "not-a-uuid",
        "FRONTDOOR_MCP_LOG_LEVEL": "chatty",
        "FRONTDOOR_MCP_TOOLSETS": "everything",
        "NETFOUNDRY_CLIENT_ID": "client-1",
    }
    with pytest.raises(ConfigError) as caught:
        load_settings(env, cwd=tmp_path, home=tmp_path)
    problems = caught.value.problems
    named = [
        "FRONTDOOR_API_URL",
        "FRONTDOOR_ID",
        "FRONTDOOR_MCP_READ_ONLY",
        "FRONTDOOR_MCP_LOG_LEVEL",
        "FRONTDOOR_MCP_TOOLSETS",
        "NETFOUNDRY_OAUTH_URL",
    ]
    assert len(problems) == len(named)
    for variable in named:
        assert sum(variable in problem for problem in problems) >= 1, variable
    fallen_back = caught.value.fallback
    assert fallen_back is not None and fallen_back.problems == problems
    assert fallen_back.read_only and fallen_back.credential is None, "the stand-in fails closed"


@pytest.mark.parametrize("kind", sorted(BAD_SETTINGS))
async def test_a_server_that_cannot_read_its_settings_still_answers(kind: str, tmp_path: Path) -> None:
    """Every kind of bad setting: `initialize` completes with the problem in the instructions; no write tool is
    listed; a call answers with the same sentences (the variable, and how to fix it) without sending anything."""
    env, variable = environment(kind, tmp_path)
    settings = fallback(env, tmp_path)
    sent: list[httpx2.Request] = []
    async with connect(build_server(settings, transport=recording_transport(sent)), "legacy") as client:
        instructions = client.instructions or ""
        tools = (await client.list_tools()).tools
        answer = await client.call_tool(tools[0].name, {})
    message = describe_problems(settings.problems)
    assert instructions == message
    assert variable in message and "restart the server" in message and "nothing" in message
    assert PASSWORD_CANARY not in message
    assert tools and all(tool.annotations and tool.annotations.read_only_hint for tool in tools)
    assert answer.is_error and text_of(answer) == message
    assert sent == []


async def test_every_call_of_a_server_that_cannot_act_gets_the_same_answer(tmp_path: Path, every_era: str) -> None:
    env, _ = environment("junk boolean", tmp_path)
    settings = fallback(env | {"NETFOUNDRY_API_TOKEN": "tok-0123456789"}, tmp_path)
    sent: list[httpx2.Request] = []
    message = describe_problems(settings.problems)
    async with connect(build_server(settings, transport=recording_transport(sent)), every_era) as client:
        tools = (await client.list_tools()).tools
        prompts = (await client.list_prompts()).prompts
        answers = [await client.call_tool(tool.name, {}) for tool in tools]
        delete = {"certificate_id": "cert-1", "confirm": True}
        answers.append(await client.call_tool("delete_client_certificate", delete))
        answers.append(await client.call_tool("no_such_tool", {"anything": 1}))
        answers.append(await client.call_tool("list_client_certificates", {"not_an_argument": True}))
        with pytest.raises(MCPError) as refused:
            await client.read_resource(f"frontdoor://{FRONTDOOR}/client-certificates/cert-1.pem")
    write_tools = {entry.name for entry in catalog() if not entry.read_only}
    assert {tool.name for tool in tools} == {entry.name for entry in catalog() if entry.read_only}
    assert not {tool.name for tool in tools} & write_tools
    assert prompts == [], "no prompt walks the model through tools that cannot act"
    assert all(answer.is_error and text_of(answer) == message for answer in answers)
    assert str(refused.value) == message or message in str(refused.value)
    assert sent == [], "nothing was sent"


def namespace(**given: str | bool | None) -> argparse.Namespace:
    values: dict[str, str | bool | None] = {
        "api_url": None,
        "frontdoor_id": None,
        "read_only": None,
        "log_level": None,
        "toolsets": None,
    }
    return argparse.Namespace(**(values | given))


def test_the_cli_logs_each_problem_and_serves_the_stand_in(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FRONTDOOR_MCP_READ_ONLY", "y")
    monkeypatch.setenv("FRONTDOOR_ID", "nope")
    settings = cli.settings_to_serve(namespace(toolsets="tokens,bogus"))
    err = capsys.readouterr().err.splitlines()
    assert len(settings.problems) == 3 and settings.read_only
    assert [line for line in err if line.startswith("frontdoor-mcp: ")] == [
        *(f"frontdoor-mcp: {problem}" for problem in settings.problems),
        "frontdoor-mcp: serving nothing until the configuration is fixed: every tool call answers with the problems "
        "above",
    ]
    assert any("--toolsets" in problem and "'bogus'" in problem for problem in settings.problems)


@pytest.mark.parametrize("command", ["check-config", "doctor"])
def test_scripts_get_exit_status_2_and_every_problem(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FRONTDOOR_MCP_LOG_LEVEL", "loud")
    monkeypatch.setenv("FRONTDOOR_API_URL", "http://example.test/frontdoor")
    with pytest.raises(SystemExit) as exited:
        cli.main([command])
    out = capsys.readouterr().out
    assert exited.value.code == 2
    assert "FRONTDOOR_MCP_LOG_LEVEL" in out and "FRONTDOOR_API_URL" in out
    assert "2 setting(s) cannot be understood" in out


def test_check_config_says_what_it_understood(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETFOUNDRY_API_TOKEN", "tok-secret-0123456789")
    with pytest.raises(SystemExit) as exited:
        cli.main(["--toolsets", "local,certificates", "check-config", "--read-only"])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert "ok   toolsets: certificates, local" in out and "ok   read-only: yes" in out
    assert "ok   credential: NETFOUNDRY_API_TOKEN" in out and "tok-secret" not in out


def test_the_http_server_refuses_to_start_naming_every_problem(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FRONTDOOR_MCP_TOOLSETS", "nope")
    monkeypatch.setenv("FRONTDOOR_MCP_HTTP_PORT", "eighty")
    monkeypatch.delenv("FRONTDOOR_MCP_HTTP_TOKENS_FILE", raising=False)
    monkeypatch.delenv("FRONTDOOR_MCP_HTTP_ISSUER", raising=False)
    with pytest.raises(SystemExit) as exited:
        cli.main(["http"])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    for variable in ("FRONTDOOR_MCP_TOOLSETS", "FRONTDOOR_MCP_HTTP_PORT", "FRONTDOOR_MCP_HTTP_TOKENS_FILE"):
        assert variable in err


@pytest.mark.slow
async def test_a_real_stdio_server_with_junk_settings_answers_and_logs(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "frontdoor_mcp"],
        env={"FRONTDOOR_MCP_READ_ONLY": "sometimes", "FRONTDOOR_ID": "x", "HOME": str(tmp_path)},
        cwd=str(tmp_path),
    )
    errors = tmp_path / "stderr.txt"
    with errors.open("w", encoding="utf-8") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
            instructions = client.instructions or ""
            tools = (await client.list_tools()).tools
            answer = await client.call_tool("list_client_certificates", {})
    logged = errors.read_text(encoding="utf-8")
    assert "FRONTDOOR_MCP_READ_ONLY" in instructions and "FRONTDOOR_ID" in instructions
    assert tools and not [tool for tool in tools if not (tool.annotations and tool.annotations.read_only_hint)]
    assert answer.is_error and text_of(answer) == instructions
    assert "frontdoor-mcp: FRONTDOOR_MCP_READ_ONLY must be one of" in logged
    assert "frontdoor-mcp: FRONTDOOR_ID must be a UUID" in logged
    assert "WARNING" not in logged, "the missing credential is not what a person needs to read now"


def test_every_command_says_what_it_does_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    """`frontdoor-mcp --help` lists every command with a line of help; each command's --help describes it."""
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    overview = capsys.readouterr().out
    for name in set(cli.COMMANDS) - {"serve"}:
        listed = re.search(rf"^    {re.escape(name)} +(\S.*)$", overview, flags=re.MULTILINE)
        assert listed is not None, f"{name}: no line of help in frontdoor-mcp --help"
        with pytest.raises(SystemExit):
            cli.main([name, "--help"])
        own = capsys.readouterr().out
        described = own.split("\n\n")[1]  # usage, then the description, then the options
        assert not described.lstrip().startswith(("positional arguments", "options")), f"{name}: no description"
        assert len(described.split()) > 8, name
    with pytest.raises(SystemExit):
        cli.main(["http", "--help"])
    assert "docs/HOSTING.md" in capsys.readouterr().out  # which exists: tests/test_code_layout.py checks citations
