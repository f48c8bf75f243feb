"""Settings that cannot be understood: every problem found at once, each naming its variable; the stdio server
still answers (the problems in its instructions and as the answer to every call, no write tool, nothing sent);
`check-config` and `doctor` exit 2 for scripts; `frontdoor-mcp http` refuses to start."""

from __future__ import annotations

import argparse
import ast
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
from frontdoor_mcp.config import (
    STDIO_SETTINGS,
    ConfigError,
    Settings,
    describe_problems,
    load_settings,
    unknown_setting_problems,
)
from frontdoor_mcp.hosting.factory import STARTUP_FAILURE, app_from_environment
from frontdoor_mcp.hosting.flags import HTTP_SETTINGS
from frontdoor_mcp.hosting.token_file import add_token
from frontdoor_mcp.server import build_server
from frontdoor_mcp.toolkit.catalog import catalog
from tests.support import FRONTDOOR, connect, text_of

pytestmark = pytest.mark.anyio

ROOT: Final = Path(__file__).resolve().parent.parent
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
    "misspelt setting": ({"FRONTDOOR_MCP_READONLY": "1"}, "did you mean FRONTDOOR_MCP_READ_ONLY?"),
    "unknown setting of ours": ({"FRONTDOOR_MCP_COLOUR": "blue"}, "FRONTDOOR_MCP_COLOUR is not a setting"),
    "misspelt credential": ({"NETFOUNDRY_API_TOKENS": PASSWORD_CANARY}, "did you mean NETFOUNDRY_API_TOKEN?"),
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
    assert any("--toolsets" in problem and "entry 2 is not a toolset" in problem for problem in settings.problems)
    assert not [problem for problem in settings.problems if "bogus" in problem], "a value is never echoed"


@pytest.mark.parametrize("command", ["check-config", "doctor"])
def test_scripts_get_exit_status_2_and_every_problem(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FRONTDOOR_MCP_LOG_LEVEL", "loud")
    monkeypatch.setenv("FRONTDOOR_API_URL", "http://example.test/frontdoor")
    monkeypatch.setenv("FRONTDOOR_MCP_READONLY", "1")
    monkeypatch.setenv("FRONTDOOR_MCP_HTTP_PORT", "8765")  # the HTTP server's: no problem here
    with pytest.raises(SystemExit) as exited:
        cli.main([command])
    out = capsys.readouterr().out
    assert exited.value.code == 2
    assert "FRONTDOOR_MCP_LOG_LEVEL" in out and "FRONTDOOR_API_URL" in out
    assert "did you mean FRONTDOOR_MCP_READ_ONLY?" in out and "FRONTDOOR_MCP_HTTP_PORT" not in out
    assert out.splitlines()[-1] == "3 setting(s) cannot be understood: the stdio server would act on nothing."


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


# Unknown settings: refused, never ignored -----------------------------------------------------------------------


def test_the_reviewers_misspellings_are_refused_by_check_config(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`FRONTDOOR_MCP_READONLY=1 FRONTDOOR_MCP_TOOLSET=certificates frontdoor-mcp check-config` used to exit 0 with
    read-only off and every toolset: each name is a problem now, with the setting it was meant to be."""
    monkeypatch.setenv("FRONTDOOR_MCP_READONLY", "1")
    monkeypatch.setenv("FRONTDOOR_MCP_TOOLSET", "certificates")
    with pytest.raises(SystemExit) as exited:
        cli.main(["check-config"])
    out = capsys.readouterr().out.splitlines()
    assert exited.value.code == 2
    assert [line for line in out if line.startswith("FAIL ")] == [
        "FAIL FRONTDOOR_MCP_READONLY is not a setting of frontdoor-mcp (did you mean FRONTDOOR_MCP_READ_ONLY?): it "
        "would be ignored, so it is refused. Rename or remove it (the README's Configuration lists the settings, "
        "docs/HOSTING.md the HTTP server's).",
        "FAIL FRONTDOOR_MCP_TOOLSET is not a setting of frontdoor-mcp (did you mean FRONTDOOR_MCP_TOOLSETS?): it "
        "would be ignored, so it is refused. Rename or remove it (the README's Configuration lists the settings, "
        "docs/HOSTING.md the HTTP server's).",
    ]
    assert out[-1] == "2 setting(s) cannot be understood: the stdio server would act on nothing."
    assert not [line for line in out if "certificates" in line], "the value is never echoed"


def test_an_unknown_setting_is_reported_with_every_other_problem_and_serves_nothing(tmp_path: Path) -> None:
    env = {"FRONTDOOR_MCP_LOGLEVEL": "debug", "FRONTDOOR_ID": "nope", "FRONTDOOR_MCP_READ_ONLY": "0"}
    settings = fallback(env, tmp_path)
    assert len(settings.problems) == 2
    assert "did you mean FRONTDOOR_MCP_LOG_LEVEL?" in settings.problems[0]
    assert "FRONTDOOR_ID must be a UUID" in settings.problems[1]
    assert settings.read_only, "read-only was asked off, but a server that cannot read its settings acts on nothing"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("FRONTDOOR_MCP_READONLY", "FRONTDOOR_MCP_READONLY is not a setting of frontdoor-mcp (did you mean "),
        ("FRONTDOOR_MCP_SOMETHING_ELSE", "FRONTDOOR_MCP_SOMETHING_ELSE is not a setting of frontdoor-mcp: it"),
        ("frontdoor_mcp_read_only", "names are upper case (did you mean FRONTDOOR_MCP_READ_ONLY?)"),
        ("Frontdoor_Mcp_Colour", "Frontdoor_Mcp_Colour is not a setting of frontdoor-mcp: it would be ignored"),
        ("NETFOUNDRY_API_TOKENS", "looks like a misspelling of one (did you mean NETFOUNDRY_API_TOKEN?)"),
        ("NETFOUNDRY_PASWORD", "(did you mean NETFOUNDRY_PASSWORD?)"),
        ("FRONTDOOR_APIURL", "(did you mean FRONTDOOR_API_URL?)"),
        ("FRONTDOOR_READ_ONLY", "(did you mean FRONTDOOR_MCP_READ_ONLY?)"),
        ("FRONTDOOR_MCP_HTTP_PROT", "(did you mean FRONTDOOR_MCP_HTTP_PORT?)"),
    ],
)
def test_a_name_that_looks_like_a_setting_but_is_none_is_a_problem(name: str, problem: str) -> None:
    problems = unknown_setting_problems({name: PASSWORD_CANARY}, [*STDIO_SETTINGS, *HTTP_SETTINGS])
    assert len(problems) == 1 and problem in problems[0], problems
    assert PASSWORD_CANARY not in problems[0]


@pytest.mark.parametrize(
    "name",
    [
        # Other tools' names under NetFoundry's prefixes, not close to one of ours (difflib ratio below 0.9).
        "NETFOUNDRY_CLIENT_SECRET",
        "NETFOUNDRY_NETWORK",
        "NETFOUNDRY_ORGANIZATION",
        "NETFOUNDRY_PASSWORD_FILE",
        "NETFOUNDRY_API_KEY",
        "FRONTDOOR_SANDBOX_ADMIN_TOKEN",
        "FRONTDOOR_TOKEN",
        # Not under a prefix of ours at all.
        "HOME",
        "READ_ONLY",
        "MCP_TOOLSETS",
    ],
)
def test_other_tools_names_are_left_alone(name: str) -> None:
    assert unknown_setting_problems({name: "x"}, [*STDIO_SETTINGS, *HTTP_SETTINGS]) == []


def test_the_http_servers_settings_are_no_problem_for_the_stdio_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A shell that sets the HTTP server's variables may start the stdio server too: they are known, not junk. (The
    HTTP server reads the stdio server's settings, so those are known to it as a matter of course.)"""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for variable in HTTP_SETTINGS:
        monkeypatch.setenv(variable, "anything")
    with pytest.raises(SystemExit) as exited:
        cli.main(["check-config"])
    assert exited.value.code == 0, capsys.readouterr().out
    assert cli.settings_to_serve(namespace()).problems == ()
    with pytest.raises(ConfigError, match="FRONTDOOR_MCP_HTTP_PORT is not a setting"):
        load_settings({"FRONTDOOR_MCP_HTTP_PORT": "8765"})  # without other_settings, only the stdio server's known


def test_the_http_server_refuses_a_misspelt_setting_of_its_own(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    tokens = tmp_path / "tokens.json"
    add_token(tokens, "alice", ["frontdoor:read"])
    monkeypatch.setenv("FRONTDOOR_MCP_HTTP_TOKENS_FILE", str(tokens))
    monkeypatch.setenv("FRONTDOOR_MCP_HTTP_ALLOW_WRITE", "1")
    monkeypatch.setenv("FRONTDOOR_MCP_READONLY", "1")
    with pytest.raises(SystemExit) as exited:
        cli.main(["http", "--port", "0"])
    err = capsys.readouterr().err.splitlines()
    assert exited.value.code == 2
    assert [line.split(" (did you mean ")[1].split("?")[0] for line in err] == [
        "FRONTDOOR_MCP_HTTP_ALLOW_WRITES",
        "FRONTDOOR_MCP_READ_ONLY",
    ]


def test_the_asgi_factory_refuses_a_misspelt_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    tokens = tmp_path / "tokens.json"
    add_token(tokens, "alice", ["frontdoor:read"])
    monkeypatch.setenv("FRONTDOOR_MCP_HTTP_TOKENS_FILE", str(tokens))
    monkeypatch.setenv("FRONTDOOR_MCP_HTTP_ALLOWED_HOSTS", "mcp.example.com")
    monkeypatch.setenv("FRONTDOOR_MCP_HTTP_STATELESS", "0")
    monkeypatch.setenv("FRONTDOOR_MCP_HTTP_STATELES", "1")
    with pytest.raises(SystemExit) as exited:
        app_from_environment()
    err = capsys.readouterr().err.splitlines()
    assert exited.value.code == STARTUP_FAILURE
    assert len(err) == 1 and "FRONTDOOR_MCP_HTTP_STATELES is not a setting" in err[0]
    assert "did you mean FRONTDOOR_MCP_HTTP_STATELESS?" in err[0]


def test_every_variable_the_code_names_is_a_known_setting() -> None:
    """The lists are the gates: `load_settings` and `load_hosting_options` read the environment through them, and
    every variable name spelled in the code is in one of them (or is the sandbox command's own, which reads no
    setting of the server's and is near none)."""
    variable = re.compile(r"(FRONTDOOR|NETFOUNDRY)_[A-Z0-9_]*[A-Z0-9]")  # a whole constant: a name, not a sentence
    named = {
        node.value
        for path in (ROOT / "server" / "frontdoor_mcp").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and variable.fullmatch(node.value)
    }
    sandbox_own = {"FRONTDOOR_SANDBOX_ADMIN_TOKEN"}
    assert named - sandbox_own == {*STDIO_SETTINGS, *HTTP_SETTINGS}
    assert unknown_setting_problems(dict.fromkeys(sandbox_own, "x"), [*STDIO_SETTINGS, *HTTP_SETTINGS]) == []


# Values are never echoed ----------------------------------------------------------------------------------------


def test_toolsets_name_each_wrong_entry_by_position_never_by_value() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"FRONTDOOR_MCP_TOOLSETS": f"tokens,,{PASSWORD_CANARY}"})
    assert caught.value.problems == (
        "FRONTDOOR_MCP_TOOLSETS (or --toolsets) takes toolset names separated by commas: entry 2 is empty; entry 3 is "
        "not a toolset; the toolsets are: certificates, tokens, shares, local, or all.",
    )


@pytest.mark.parametrize("kind", sorted(BAD_SETTINGS))
def test_no_problem_echoes_a_value(kind: str, tmp_path: Path) -> None:
    """Each kind of bad setting, its value replaced by a canary where it is free text: a secret pasted into the
    wrong variable must not reach stderr, the instructions or a tool's answer."""
    env, _ = environment(kind, tmp_path)
    canary = "canary-value-5d0c"
    pasted = {name: canary if "{tmp}" not in BAD_SETTINGS[kind][0][name] else value for name, value in env.items()}
    with pytest.raises(ConfigError) as caught:
        load_settings(pasted, cwd=tmp_path, home=tmp_path)
    assert canary not in " ".join(caught.value.problems)


def test_a_credentials_file_path_from_a_variable_is_not_echoed_but_one_found_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"NETFOUNDRY_API_ACCOUNT": PASSWORD_CANARY}, cwd=tmp_path, home=tmp_path)
    assert caught.value.problems == ("NETFOUNDRY_API_ACCOUNT: the file it names is not a readable file",)
    (tmp_path / "credentials.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings({}, cwd=tmp_path, home=tmp_path)
    assert caught.value.problems == (
        f"credentials file {tmp_path / 'credentials.json'}: the file lacks clientId, password, authenticationUrl",
    )


# check-config -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "noticed"),
    [
        ("Bearer tok-0123456789abcdef", "the token already starts with 'Bearer ' or 'Basic '"),
        ("tok-0123\n456789abcdef", "the token contains whitespace or a line break"),
    ],
)
def test_check_config_reports_a_malformed_token_as_doctor_does(
    token: str, noticed: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETFOUNDRY_API_TOKEN", token)
    with pytest.raises(SystemExit) as exited:
        cli.main(["check-config"])
    out = capsys.readouterr().out
    assert exited.value.code == 2
    assert f"FAIL credential from NETFOUNDRY_API_TOKEN: {noticed}" in out
    assert "is understood" not in out and "0123456789abcdef" not in out and "456789" not in out
