"""Every credential source, in NetFoundry's order, each proven against the sandbox; configuration errors; logging."""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from frontdoor_mcp import cli, config, log_setup
from frontdoor_mcp.api.auth import BasicToken, BearerToken, ClientCredentials, Credential, Secret
from frontdoor_mcp.config import ConfigError, Settings, find_credential, load_settings
from frontdoor_mcp.sandbox.faults.controller import Fault
from frontdoor_mcp.sandbox.runner import RunningSandbox
from frontdoor_mcp.server import build_server
from tests.support import CANARY_TOKEN, connect, ok, sandbox_settings, text_of

pytestmark = pytest.mark.anyio

PASSWORD_CANARY = "pw-canary-0d9c8b7a6f5e"
ALL_SOURCES = ("token", "account", "variables", "cwd", "home", "system")


@dataclass(frozen=True)
class Places:
    """Where credentials.json files may live, all under tmp_path (the system one patched in)."""

    cwd: Path
    home: Path
    system: Path

    def load(self, env: dict[str, str]) -> Settings:
        return load_settings(env, cwd=self.cwd, home=self.home)

    def find(self, env: dict[str, str]) -> Credential | None:
        return find_credential(env, cwd=self.cwd, home=self.home)


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Places:
    cwd, home, system = tmp_path / "cwd", tmp_path / "home", tmp_path / "system"
    for folder in (cwd, home / ".netfoundry", system):
        folder.mkdir(parents=True)
    monkeypatch.setattr(config, "SYSTEM_CREDENTIALS_FILE", system / "credentials.json")
    return Places(cwd=cwd, home=home, system=system)


def write_account(path: Path, sandbox: RunningSandbox, **overrides: object) -> Path:
    fields: dict[str, object] = {
        "clientId": sandbox.client_id,
        "password": sandbox.client_secret,
        "authenticationUrl": sandbox.token_url,
    }
    fields.update(overrides)
    path.write_text(json.dumps({key: value for key, value in fields.items() if value is not None}))
    return path


def base_env(sandbox: RunningSandbox) -> dict[str, str]:
    return {"FRONTDOOR_API_URL": sandbox.base_url, "FRONTDOOR_ID": sandbox.frontdoor_id}


def arrange(source: str, sandbox: RunningSandbox, places: Places) -> tuple[dict[str, str], str]:
    """The environment and files for one source alone, and the source name the credential must report."""
    env = base_env(sandbox)
    if source == "token":
        env["NETFOUNDRY_API_TOKEN"] = sandbox.token
        return env, "NETFOUNDRY_API_TOKEN"
    if source == "basic":
        env["NETFOUNDRY_API_TOKEN"] = sandbox.token
        env["FRONTDOOR_API_USERNAME"] = sandbox.username
        return env, "NETFOUNDRY_API_TOKEN + FRONTDOOR_API_USERNAME"
    if source == "account":
        env["NETFOUNDRY_API_ACCOUNT"] = str(write_account(places.cwd.parent / "account.json", sandbox))
        return env, "NETFOUNDRY_API_ACCOUNT"
    if source == "variables":
        env["NETFOUNDRY_CLIENT_ID"] = sandbox.client_id
        env["NETFOUNDRY_PASSWORD"] = sandbox.client_secret
        env["NETFOUNDRY_OAUTH_URL"] = sandbox.token_url
        return env, "NETFOUNDRY_CLIENT_ID/NETFOUNDRY_PASSWORD/NETFOUNDRY_OAUTH_URL"
    folder = {"cwd": places.cwd, "home": places.home / ".netfoundry", "system": places.system}[source]
    path = write_account(folder / "credentials.json", sandbox)
    return env, f"credentials file {path}"


@pytest.mark.parametrize("source", ["token", "basic", "account", "variables", "cwd", "home", "system"])
async def test_each_source_alone_is_found_and_works_against_the_sandbox(
    source: str, sandbox: RunningSandbox, places: Places, tmp_path: Path
) -> None:
    env, expected_source = arrange(source, sandbox, places)
    settings = places.load(env)
    credential = settings.credential
    assert credential is not None and settings.credential_source == expected_source
    expected_type = {"token": BearerToken, "basic": BasicToken}.get(source, ClientCredentials)
    assert type(credential) is expected_type

    server = build_server(sandbox_settings(sandbox, tmp_path, credential=credential))
    async with connect(server, "legacy") as client:
        listed = ok(await client.call_tool("list_client_certificates", {}))
        again = ok(await client.call_tool("list_client_certificates", {}))
    assert listed["total_elements"] == again["total_elements"] == 0
    oauth_requests = sandbox.faults.count(path_contains="/oauth/token")
    assert oauth_requests == (1 if isinstance(credential, ClientCredentials) else 0), "one token, reused"


def test_basic_sends_username_and_token_as_rfc7617_basic(places: Places) -> None:
    credential = places.find({"NETFOUNDRY_API_TOKEN": " tok-123 ", "FRONTDOOR_API_USERNAME": "alice"})
    assert isinstance(credential, BasicToken)
    request = httpx2.Request("GET", "https://example.test/frontdoor")
    sent = next(credential.auth_flow(request))
    scheme, _, encoded = sent.headers["Authorization"].partition(" ")
    assert scheme == "Basic" and base64.b64decode(encoded) == b"alice:tok-123"
    assert "leading or trailing whitespace" in " ".join(credential.problems())


def test_precedence_follows_netfoundrys_order(sandbox: RunningSandbox, places: Places) -> None:
    """Every source present at once; take them away one by one, first to last, and the next one wins."""
    env = base_env(sandbox)
    expected: list[str] = []
    for source in ALL_SOURCES:
        extra, name = arrange(source, sandbox, places)
        env.update(extra)
        expected.append(name)
    removals: dict[str, tuple[str, ...]] = {
        "token": ("NETFOUNDRY_API_TOKEN",),
        "account": ("NETFOUNDRY_API_ACCOUNT",),
        "variables": config.CLIENT_CREDENTIAL_VARIABLES,
    }
    files = {"cwd": places.cwd, "home": places.home / ".netfoundry", "system": places.system}
    for source, name in zip(ALL_SOURCES, expected, strict=True):
        credential = places.find(env)
        assert credential is not None and credential.source == name, f"{source} should win"
        for variable in removals.get(source, ()):
            del env[variable]
        if source in files:
            (files[source] / "credentials.json").unlink()
    assert places.find(env) is None


def test_no_credential_anywhere_is_none(places: Places) -> None:
    settings = places.load({})
    assert settings.credential is None and settings.credential_source == "none"


async def test_no_credential_tool_error_says_how_to_configure(
    sandbox: RunningSandbox, places: Places, tmp_path: Path
) -> None:
    server = build_server(sandbox_settings(sandbox, tmp_path, credential=places.load({}).credential))
    sandbox.faults.clear_requests()
    async with connect(server, "legacy") as client:
        result = await client.call_tool("list_client_certificates", {})
    assert result.is_error
    text = text_of(result)
    assert "nothing was sent" in text
    for location in ("NETFOUNDRY_API_TOKEN", "NETFOUNDRY_API_ACCOUNT", "NETFOUNDRY_CLIENT_ID", "~/.netfoundry/"):
        assert location in text
    assert sandbox.faults.requests == [], "no credential, no request"


@pytest.mark.parametrize(
    "missing",
    [
        ("NETFOUNDRY_CLIENT_ID",),
        ("NETFOUNDRY_PASSWORD",),
        ("NETFOUNDRY_OAUTH_URL",),
        ("NETFOUNDRY_PASSWORD", "NETFOUNDRY_OAUTH_URL"),
        ("NETFOUNDRY_CLIENT_ID", "NETFOUNDRY_OAUTH_URL"),
    ],
)
def test_client_credential_variables_need_all_three(missing: tuple[str, ...], places: Places) -> None:
    env = {
        "NETFOUNDRY_CLIENT_ID": "client-1",
        "NETFOUNDRY_PASSWORD": PASSWORD_CANARY,
        "NETFOUNDRY_OAUTH_URL": "https://auth.example.test/oauth2/token",
    }
    for name in missing:
        del env[name]
    with pytest.raises(ConfigError) as raised:
        places.find(env)
    message = str(raised.value)
    said_missing = message.split(" set but ")[1].split(" missing")[0]
    assert set(said_missing.split(", ")) == set(missing)
    assert PASSWORD_CANARY not in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "is not a readable file"),
        ("{not json", "is not valid JSON"),
        (b"\xff\xfe\xfa", "is not valid JSON"),
        ("[1, 2]", "must hold a JSON object"),
        (json.dumps({"clientId": "c", "password": PASSWORD_CANARY}), "lacks authenticationUrl"),
        (json.dumps({"clientId": " ", "password": PASSWORD_CANARY, "authenticationUrl": "x"}), "lacks clientId"),
        (
            json.dumps({"clientId": "c", "password": PASSWORD_CANARY, "authenticationUrl": "http://auth.example.test"}),
            "must be an https:// URL",
        ),
    ],
)
def test_a_bad_credentials_file_is_a_clear_error(content: str | bytes | None, expected: str, places: Places) -> None:
    path = places.cwd / "account.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as raised:
        places.find({"NETFOUNDRY_API_ACCOUNT": str(path)})
    assert expected in str(raised.value) and "NETFOUNDRY_API_ACCOUNT" in str(raised.value)
    assert PASSWORD_CANARY not in str(raised.value)


def test_a_bad_credentials_file_found_by_lookup_is_not_skipped(places: Places) -> None:
    """A broken credentials.json in the working directory is reported, not silently passed over."""
    (places.cwd / "credentials.json").write_text("{}")
    with pytest.raises(ConfigError, match=r"credentials file .*lacks clientId, password, authenticationUrl"):
        places.find({})


def test_secrets_never_show_in_reprs(sandbox: RunningSandbox, places: Places) -> None:
    for source in ("token", "basic", "account"):
        env, _ = arrange(source, sandbox, places)
        settings = places.load(env)
        shown = repr(settings) + repr(settings.credential) + str(settings.credential)
        assert sandbox.token not in shown and sandbox.client_secret not in shown


def test_an_incomplete_credential_is_a_configuration_problem(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("NETFOUNDRY_API_TOKEN", "NETFOUNDRY_API_ACCOUNT", "NETFOUNDRY_OAUTH_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETFOUNDRY_CLIENT_ID", "client-1")
    monkeypatch.setenv("NETFOUNDRY_PASSWORD", PASSWORD_CANARY)
    with pytest.raises(SystemExit) as exited:
        cli.main(["check-config"])
    assert exited.value.code == 2
    out = capsys.readouterr().out
    assert "NETFOUNDRY_OAUTH_URL missing" in out and PASSWORD_CANARY not in out


# 401 diagnosis ---------------------------------------------------------------------------------------------


def fake_jwt(exp: float) -> str:
    claims = base64.urlsafe_b64encode(json.dumps({"exp": int(exp)}).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJIUzI1NiJ9.{claims}.c2lnbmF0dXJl"


async def test_401_with_an_expired_jwt_says_when_it_expired(sandbox: RunningSandbox, tmp_path: Path) -> None:
    expired = fake_jwt(time.time() - 3 * 3600 - 30)
    credential = BearerToken(Secret(expired), source="NETFOUNDRY_API_TOKEN")
    async with connect(build_server(sandbox_settings(sandbox, tmp_path, credential=credential)), "legacy") as client:
        result = await client.call_tool("list_client_certificates", {})
    message = text_of(result)
    assert result.is_error and "(401)" in message and "Credential source in use: NETFOUNDRY_API_TOKEN." in message
    assert re.search(r"The token expired at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(180 minutes ago\)\.", message)
    assert "fresh NETFOUNDRY_API_TOKEN" in message and expired not in message


async def test_401_with_a_skewed_clock_and_a_malformed_header(sandbox: RunningSandbox, tmp_path: Path) -> None:
    sandbox.faults.add(Fault(kind="clock_offset", clock_offset_s=-600, times=None))
    credential = BearerToken(Secret(f"Bearer {sandbox.token}"), source="NETFOUNDRY_API_TOKEN")
    async with connect(build_server(sandbox_settings(sandbox, tmp_path, credential=credential)), "legacy") as client:
        result = await client.call_tool("list_client_certificates", {})
    message = text_of(result)
    assert result.is_error and "(401)" in message
    assert "Noticed locally: the token already starts with 'Bearer ' or 'Basic '" in message
    assert re.search(r"This machine's clock is (599|600|601) seconds ahead of the API's", message), message
    assert sandbox.token not in message


# Logging -------------------------------------------------------------------------------------------------


def test_log_level_from_flag_or_environment(places: Places) -> None:
    assert places.load({}).log_level == "WARNING"
    assert places.load({"FRONTDOOR_MCP_LOG_LEVEL": "debug"}).log_level == "DEBUG"
    assert load_settings({"FRONTDOOR_MCP_LOG_LEVEL": "debug"}, log_level="error", cwd=places.cwd).log_level == "ERROR"
    with pytest.raises(ConfigError, match="FRONTDOOR_MCP_LOG_LEVEL"):
        places.load({"FRONTDOOR_MCP_LOG_LEVEL": "chatty"})


async def test_api_requests_are_logged_at_debug_without_secrets(
    sandbox: RunningSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = build_server(sandbox_settings(sandbox, tmp_path))
    async with connect(server, "legacy") as client:
        ok(await client.call_tool("list_client_certificates", {}))
    lines = [r.getMessage() for r in caplog.records if r.name == "frontdoor_mcp.api.client"]
    path = f"/frontdoor/{sandbox.frontdoor_id}/client-certificates"
    assert any(line.startswith(f"GET {path} -> 200 (") and line.endswith(" ms)") for line in lines), lines
    assert CANARY_TOKEN not in caplog.text


@pytest.fixture
def stderr_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.mark.usefixtures("stderr_logging")
def test_cli_logging_goes_to_stderr_with_secrets_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    handler = log_setup.configure_logging("INFO")
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    log = logging.getLogger("frontdoor_mcp.some_module")
    unknown_token = "tok" + secrets.token_hex(12)  # never configured: only the pattern can catch it
    log.info("sending Authorization: Bearer %s", unknown_token)
    log.info("token %s", jwt)
    log.info('answer {"access_token": "%s", "expires_in": 3600}', CANARY_TOKEN)
    log.info("form grant_type=client_credentials&password=%s", PASSWORD_CANARY)
    log.info("Bearer token is missing or invalid")
    log.debug("below the level")
    logging.getLogger().removeHandler(handler)
    captured = capsys.readouterr()
    assert captured.out == ""
    for secret in (CANARY_TOKEN, unknown_token, jwt, PASSWORD_CANARY):
        assert secret not in captured.err
    assert "Bearer [redacted]" in captured.err and "[redacted JWT]" in captured.err
    assert "Bearer token is missing or invalid" in captured.err, "ordinary words are left alone"
    assert "below the level" not in captured.err
